"""An organisation's settings: the Organisation record, chart of accounts, tax rates,
currencies and items, as a UK or an Estonian (Xero "global") organisation has them."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from uku_xero_cli.sandbox.seed.common import before, new_id, stamp
from uku_xero_cli.sandbox.xero_format import ms_date

CURRENCY_NAMES = {
    "GBP": "British Pound",
    "EUR": "Euro",
    "USD": "United States Dollar",
    "SEK": "Swedish Krona",
}
# Units of the foreign currency per unit of the base currency (Xero's CurrencyRate).
RATES = {
    "GBP": {"EUR": Decimal("1.1700"), "USD": Decimal("1.2700"), "SEK": Decimal("13.6000")},
    "EUR": {"GBP": Decimal("0.8550"), "USD": Decimal("1.0800"), "SEK": Decimal("11.6000")},
}

_CLASSES = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "REVENUE": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "DIRECTCOSTS": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "CURRLIAB": "LIABILITY",
    "EQUITY": "EQUITY",
}

# (code, name, type, sales-ish tax, system account); tax "S" = standard output, "P" = standard
# input, "E" = exempt, "N" = none. Mapped per country below.
_CHART = (
    ("090", "Business Bank Account", "BANK", "N", ""),
    ("091", "Business Savings Account", "BANK", "N", ""),
    ("200", "Sales", "REVENUE", "S", ""),
    ("260", "Other Revenue", "REVENUE", "S", ""),
    ("270", "Interest Income", "OTHERINCOME", "E", ""),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "P", ""),
    ("400", "Advertising", "OVERHEADS", "P", ""),
    ("404", "Bank Fees", "OVERHEADS", "EI", ""),
    ("408", "Cleaning", "OVERHEADS", "P", ""),
    ("412", "Consulting & Accounting", "OVERHEADS", "P", ""),
    ("429", "General Expenses", "OVERHEADS", "P", ""),
    ("433", "Insurance", "OVERHEADS", "EI", ""),
    ("445", "Light, Power, Heating", "OVERHEADS", "P", ""),
    ("461", "Printing & Stationery", "OVERHEADS", "P", ""),
    ("469", "Rent", "OVERHEADS", "P", ""),
    ("477", "Salaries", "OVERHEADS", "N", ""),
    ("489", "Telephone & Internet", "OVERHEADS", "P", ""),
    ("493", "Travel - National", "OVERHEADS", "P", ""),
    ("610", "Accounts Receivable", "CURRENT", "N", "DEBTORS"),
    ("710", "Office Equipment", "FIXED", "P", ""),
    ("800", "Accounts Payable", "CURRLIAB", "N", "CREDITORS"),
    ("820", "VAT", "CURRLIAB", "N", "GST"),
    ("960", "Retained Earnings", "EQUITY", "N", "RETAINEDEARNINGS"),
    ("970", "Owner A Funds Introduced", "EQUITY", "N", ""),
)
_TAX_OF = {
    "GB": {"S": "OUTPUT2", "P": "INPUT2", "E": "EXEMPTOUTPUT", "EI": "EXEMPTINPUT", "N": "NONE"},
    "EE": {"S": "OUTPUT", "P": "INPUT", "E": "NONE", "EI": "NONE", "N": "NONE"},
}

# (TaxType, Name, rate, status, ReportTaxType)
_TAX_RATES = {
    "GB": (
        ("OUTPUT2", "20% (VAT on Income)", "20", "ACTIVE", "OUTPUT"),
        ("INPUT2", "20% (VAT on Expenses)", "20", "ACTIVE", "INPUT"),
        ("RROUTPUT", "5% (VAT on Income)", "5", "ACTIVE", "OUTPUT"),
        ("RRINPUT", "5% (VAT on Expenses)", "5", "ACTIVE", "INPUT"),
        ("ZERORATEDOUTPUT", "Zero Rated Income", "0", "ACTIVE", "OUTPUT"),
        ("ZERORATEDINPUT", "Zero Rated Expenses", "0", "ACTIVE", "INPUT"),
        ("EXEMPTOUTPUT", "Exempt Income", "0", "ACTIVE", "EXEMPTOUTPUT"),
        ("EXEMPTINPUT", "Exempt Expenses", "0", "ACTIVE", "EXEMPTINPUT"),
        ("ECZROUTPUT", "Zero Rated EC Goods Income", "0", "ACTIVE", "ECOUTPUT"),
        ("NONE", "No VAT", "0", "ACTIVE", "NONE"),
        ("TAX001", "12.5% Hospitality (VAT on Income)", "12.5", "ARCHIVED", "OUTPUT"),
        ("OUTPUT", "17.5% (VAT on Income)", "17.5", "DELETED", "OUTPUT"),
    ),
    "EE": (
        ("OUTPUT", "Tax on Sales 24%", "24", "ACTIVE", "OUTPUT"),
        ("INPUT", "Tax on Purchases 24%", "24", "ACTIVE", "INPUT"),
        ("TAX002", "Reduced Rate Sales 9%", "9", "ACTIVE", "OUTPUT"),
        ("TAX003", "Reduced Rate Purchases 9%", "9", "ACTIVE", "INPUT"),
        ("TAX004", "Zero Rated EU Sales", "0", "ACTIVE", "OUTPUT"),
        ("NONE", "Tax Exempt", "0", "ACTIVE", "NONE"),
        ("TAX001", "Tax on Sales 22%", "22", "ARCHIVED", "OUTPUT"),
        ("TAX005", "Tax on Purchases 22%", "22", "DELETED", "INPUT"),
    ),
}

# What an accounting firm sells: (code, name, unit price in GBP, also purchased).
_CATALOGUE = (
    ("BOOK", "Monthly bookkeeping", "450.00", False),
    ("PAYROLL", "Payroll, per employee", "12.50", False),
    ("VATRET", "VAT return", "150.00", False),
    ("ACCS", "Annual accounts", "1200.00", False),
    ("CT600", "Corporation tax return", "450.00", False),
    ("SATR", "Self assessment tax return", "250.00", False),
    ("ADVISORY", "Advisory, per hour", "120.00", False),
    ("AUDIT", "Statutory audit", "3500.00", False),
    ("CONFSTMT", "Confirmation statement filing", "65.00", True),
    ("REGADDR", "Registered office address", "180.00", True),
    ("MGMT", "Management accounts", "350.00", False),
    ("CASHFLOW", "Cash flow forecast", "400.00", False),
    ("SETUP", "Software set-up and training", "300.00", False),
    ("ONBOARD", "Client onboarding", "150.00", False),
    ("AMLCHECK", "AML identity check", "25.00", True),
    ("REFLETTER", "Reference letter", "75.00", False),
    ("P11D", "P11D benefits return", "120.00", False),
    ("RTI", "RTI submissions", "40.00", False),
    ("PENSION", "Auto-enrolment pension", "60.00", False),
    ("CISRET", "CIS returns", "95.00", False),
)

_COUNTRY_SETTINGS: dict[str, dict[str, Any]] = {
    "GB": {
        "Version": "UK",
        "Timezone": "GMTSTANDARDTIME",
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY1",
        "FinancialYearEndMonth": 3,
        "FinancialYearEndDay": 31,
        "RegistrationNumber": "09876543",
        "TaxNumber": "GB123456789",
        "City": "Manchester",
        "PostalCode": "M1 4BT",
        "Country": "United Kingdom",
    },
    "EE": {
        "Version": "GLOBAL",
        "Timezone": "FLESTANDARDTIME",
        "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "MONTHLY",
        "FinancialYearEndMonth": 12,
        "FinancialYearEndDay": 31,
        "RegistrationNumber": "16543210",
        "TaxNumber": "EE102345678",
        "City": "Tallinn",
        "PostalCode": "10115",
        "Country": "Estonia",
    },
}


def organisation_record(
    *,
    organisation_id: str,
    name: str,
    country: str,
    base_currency: str,
    short_code: str,
    created: datetime,
) -> dict[str, Any]:
    settings = _COUNTRY_SETTINGS.get(country, _COUNTRY_SETTINGS["GB"])
    return {
        "OrganisationID": organisation_id,
        "Name": name,
        "LegalName": name,
        "PaysTax": True,
        "Version": settings["Version"],
        "OrganisationType": "COMPANY",
        "OrganisationEntityType": "COMPANY",
        "BaseCurrency": base_currency,
        "CountryCode": country,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": settings["RegistrationNumber"],
        "TaxNumber": settings["TaxNumber"],
        "FinancialYearEndDay": settings["FinancialYearEndDay"],
        "FinancialYearEndMonth": settings["FinancialYearEndMonth"],
        "SalesTaxBasis": settings["SalesTaxBasis"],
        "SalesTaxPeriod": settings["SalesTaxPeriod"],
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_date(created),
        "Timezone": settings["Timezone"],
        "ShortCode": short_code,
        "Class": "STANDARD",
        "Edition": "BUSINESS",
        "LineOfBusiness": "Accounting services",
        "Addresses": [
            {
                "AddressType": "STREET",
                "AddressLine1": "1 Example Street",
                "City": settings["City"],
                "PostalCode": settings["PostalCode"],
                "Country": settings["Country"],
            }
        ],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {"Sales": {"Day": 14, "Type": "DAYSAFTERBILLDATE"}},
    }


def chart_of_accounts(
    rng: random.Random, country: str, base_currency: str, now: datetime, days: float
) -> dict[str, dict[str, Any]]:
    taxes = _TAX_OF.get(country, _TAX_OF["GB"])
    accounts: dict[str, dict[str, Any]] = {}
    for code, name, kind, tax, system in _CHART:
        account: dict[str, Any] = {
            "AccountID": new_id(rng),
            "Code": code,
            "Name": name,
            "Status": "ACTIVE",
            "Type": kind,
            "TaxType": taxes[tax],
            "Class": _CLASSES[kind],
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": kind == "OVERHEADS",
            "ReportingCode": "",
            "HasAttachments": False,
            "AddToWatchlist": False,
        }
        if system:
            account["SystemAccount"] = system
        if kind == "BANK":
            account["BankAccountType"] = "BANK"
            account["BankAccountNumber"] = f"{rng.randrange(10**7, 10**8)}"
            account["CurrencyCode"] = base_currency
        stamp(account, before(now, rng, days))
        accounts[account["AccountID"]] = account
    return accounts


def tax_rates(country: str) -> dict[str, dict[str, Any]]:
    rates: dict[str, dict[str, Any]] = {}
    for tax_type, name, rate, status, report in _TAX_RATES.get(country, _TAX_RATES["GB"]):
        percent = Decimal(rate)
        is_input = report in ("INPUT", "EXEMPTINPUT")
        rates[tax_type] = {
            "Name": name,
            "TaxType": tax_type,
            "ReportTaxType": report,
            "CanApplyToAssets": is_input,
            "CanApplyToEquity": is_input,
            "CanApplyToExpenses": is_input or report == "NONE",
            "CanApplyToLiabilities": is_input or report == "NONE",
            "CanApplyToRevenue": not is_input,
            "DisplayTaxRate": percent,
            "EffectiveRate": percent,
            "Status": status,
            "TaxComponents": [
                {"Name": "VAT", "Rate": percent, "IsCompound": False, "IsNonRecoverable": False}
            ],
        }
    return rates


def currencies(base_currency: str) -> dict[str, dict[str, Any]]:
    codes = [base_currency, *[code for code in CURRENCY_NAMES if code != base_currency][:3]]
    return {code: {"Code": code, "Description": CURRENCY_NAMES[code]} for code in codes}


def exchange_rate(base_currency: str, currency: str) -> Decimal:
    if currency == base_currency:
        return Decimal("1")
    return RATES.get(base_currency, {}).get(currency, Decimal("1"))


def items(
    rng: random.Random,
    count: int,
    country: str,
    base_currency: str,
    now: datetime,
    days: float,
) -> dict[str, dict[str, Any]]:
    taxes = _TAX_OF.get(country, _TAX_OF["GB"])
    factor = Decimal("1") if base_currency == "GBP" else Decimal("1.15")
    records: dict[str, dict[str, Any]] = {}
    for index in range(count):
        if index < len(_CATALOGUE):
            code, name, price, purchased = _CATALOGUE[index]
        else:
            number = index - len(_CATALOGUE) + 1
            code, name = f"SVC-{number:03d}", f"Consulting service {number}"
            price, purchased = f"{rng.randrange(40, 900)}.00", rng.random() < 0.2
        unit_price = (Decimal(price) * factor).quantize(Decimal("0.01"))
        item: dict[str, Any] = {
            "ItemID": new_id(rng),
            "Code": code,
            "Name": name,
            "Description": name,
            "IsSold": True,
            "IsPurchased": purchased,
            "IsTrackedAsInventory": False,
            "SalesDetails": {"UnitPrice": unit_price, "AccountCode": "200", "TaxType": taxes["S"]},
            "PurchaseDetails": {},
        }
        if purchased:
            item["PurchaseDescription"] = name
            item["PurchaseDetails"] = {
                "UnitPrice": (unit_price * Decimal("0.6")).quantize(Decimal("0.01")),
                "AccountCode": "412",
                "TaxType": taxes["P"],
            }
        stamp(item, before(now, rng, days))
        records[item["ItemID"]] = item
    return records
