"""Word pools for plausible contact names, per country of the organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NamePool:
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]
    trades: tuple[str, ...]
    places: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    partnership_suffixes: tuple[str, ...]
    streets: tuple[str, ...]
    street_kinds: tuple[str, ...]
    country: str
    phone_prefix: str


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GB = NamePool(
    first_names=_words(
        """
        Oliver Amelia George Isla Harry Ava Noah Mia Jack Ivy Charlie Lily Leo Florence Jacob
        Emily Freddie Grace Alfie Sophie Arthur Evie Oscar Poppy Thomas Ella William Rosie James
        Daisy Henry Freya Archie Alice Joshua Sienna Edward Matilda Samuel Harriet Daniel
        Eleanor Joseph Imogen Max Phoebe Lucas Ruby Ethan Chloe Alexander Zara Mohammed Priya
        Aarav Aisha Ravi Niamh Callum Eilidh Rhys Cerys Siobhan Declan Fiona Hamish
        """
    ),
    surnames=_words(
        """
        Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans
        Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips
        Mason Mitchell Rose Davis Rodriguez Cox Alexander Morgan Moore Mills King Adams Garcia
        Turner Hughes Edwards Harris Carter Baker Cooper Hill Ward Morris Watson Murphy Bennett
        Gray Price Bell Kelly Shaw Hunt Holmes Palmer Fletcher Lloyd Pearce Webb Marshall Gibson
        Ellis Armstrong Barker Fraser MacDonald Campbell Stewart Reid Quinn O'Brien Gallagher
        Chadwick Ashworth Pemberton Whitfield Hargreaves
        """
    ),
    adjectives=_words(
        """
        Northern Southern Eastern Western Central Royal Premier Golden Silver Bright Blue Green
        Red Coastal Highland Riverside Oakwood Ashford Kingsway Castle Harbour Meadow Summit
        Orchard Thistle Willow Copper Granite Heritage Pioneer Liberty Sterling Crown Atlas
        Beacon Evergreen Foxglove Hawthorn Juniper Lakeside Millstone Moorland Pennine Sandstone
        Seaview Stonebridge Westfield Whitecliff Yew
        """
    ),
    nouns=_words(
        """
        Oak Bridge Forge Works Mill Studio Gate Harbour Field Garden House Lodge Yard Wharf Vale
        Point Cross Hill Brook Park Quay Square Court Row Heath Fold Barn Press Loft Stables
        Foundry Depot Exchange Market Arcade Tower Terrace Spire Works
        """
    ),
    trades=_words(
        """
        Plumbing Joinery Electrical Roofing Bakery Butchers Dental Veterinary Catering
        Landscaping Logistics Haulage Printing Consulting Architects Surveyors Engineering
        Motors Tyres Glazing Flooring Cleaning Security Recruitment Marketing Design Media
        Software Systems Analytics Interiors Builders Scaffolding Pharmacy Opticians Florists
        Brewery Distillery Coffee Kitchens Timber Textiles Garage Fitness Salon
        """
    ),
    places=_words(
        """
        London Leeds Bristol Manchester Liverpool Sheffield Newcastle York Bath Oxford Cambridge
        Norwich Exeter Plymouth Brighton Cardiff Swansea Glasgow Edinburgh Aberdeen Dundee
        Inverness Belfast Derry Nottingham Leicester Coventry Birmingham Chester Durham
        Lancaster Carlisle Harrogate Whitby Ipswich Colchester Reading Guildford Canterbury
        Winchester
        """
    ),
    company_suffixes=("Ltd", "Ltd", "Ltd", "Limited", "PLC", "Ltd."),
    partnership_suffixes=("LLP", "& Co", "& Sons", "Partners"),
    streets=(
        "High",
        "Church",
        "Station",
        "Victoria",
        "Mill",
        "Park",
        "Queen",
        "King",
        "Market",
        "Bridge",
        "London",
        "Manor",
        "Albert",
        "George",
        "Castle",
        "School",
        "North",
        "South",
        "West",
        "Chapel",
        "Green",
    ),
    street_kinds=("Street", "Road", "Lane", "Avenue", "Way", "Close"),
    country="United Kingdom",
    phone_prefix="44",
)

EE = NamePool(
    first_names=_words(
        """
        Mari Jaan Kadri Andres Triin Martin Liis Marko Kristi Rasmus Kertu Siim Maarja Tõnu
        Eveli Priit Annika Margus Helen Indrek Katrin Ott Piret Raivo Signe Urmas Tiina Tarmo
        Ülle Märt Merle Jüri Leena Aivar Reet Kalev Anneli Toomas Pille Sander Ene Mihkel Grete
        Karl Laura Oskar Hanna Robin Sofia Romet Elisabeth Kaspar Mirjam
        """
    ),
    surnames=_words(
        """
        Tamm Saar Sepp Mägi Kask Kukk Rebane Ilves Pärn Koppel Lepik Kallas Oja Raudsepp Luik
        Kivi Lõhmus Jõgi Kuusk Karu Vaher Laur Mets Põder Teder Org Jürgens Aavik Kuusik Ots
        Mölder Nõmm Paju Lill Valk Uibo Hunt Kurg Vares Pihlak Kütt Kruus Toom Sild Lind Liiv
        Rand Salu Tõnisson Männik
        """
    ),
    adjectives=_words(
        """
        Põhja Lõuna Ida Lääne Kesk Vana Uus Roheline Sinine Kuldne Hõbe Valge Must Väike Suur
        Kiire Tark Hea Rõõmus Selge Tugev Vaikne Särav Kõrge Madal Pikk Lai Ranna Metsa Järve
        Mere Kalju Nõmme Kase Tamme Männi Kuuse
        """
    ),
    nouns=_words(
        """
        Kivi Sild Veski Aed Maja Koda Talu Org Mägi Saar Laht Rand Tamm Kask Mets Järv Allikas
        Kallas Väli Värav Torn Tähe Päike Kuu Tuul Laine Kroon Karikas
        """
    ),
    trades=_words(
        """
        Ehitus Puit Metall Transport Logistika Konsult Arendus Disain Meedia Tarkvara Trükk
        Pagar Kohvik Toit Hambaravi Apteek Optika Koristus Turvateenused Kinnisvara Energia
        Elekter Torutööd Aiandus Mööbel Tekstiil Auto Rehvid Klaas Põrand Kliima Andmed
        Süsteemid Ilusalong Sport
        """
    ),
    places=_words(
        """
        Tallinn Tartu Pärnu Narva Viljandi Rakvere Haapsalu Kuressaare Võru Valga Jõhvi Paide
        Rapla Jõgeva Põlva Keila Maardu Sillamäe Kärdla Elva Saue Otepää
        """
    ),
    company_suffixes=("OÜ", "OÜ", "OÜ", "OÜ", "AS"),
    partnership_suffixes=("TÜ", "MTÜ", "FIE"),
    streets=(
        "Pärnu mnt",
        "Narva mnt",
        "Tartu mnt",
        "Viru",
        "Pikk",
        "Lai",
        "Vabaduse",
        "Kaupmehe",
        "Sadama",
        "Mere pst",
        "Kesk",
        "Jaama",
        "Kooli",
        "Aia",
        "Pargi",
        "Ranna",
        "Turu",
        "Posti",
    ),
    street_kinds=("",),
    country="Estonia",
    phone_prefix="372",
)

POOLS = {"GB": GB, "EE": EE}

_ASCII = str.maketrans({"õ": "o", "ä": "a", "ö": "o", "ü": "u", "š": "s", "ž": "z"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, for e-mail addresses and domains."""
    return _NOT_SLUG.sub("", text.lower().translate(_ASCII))


def pool_for(country_code: str) -> NamePool:
    return POOLS.get(country_code, GB)
