"""uku-xero: administration tool for Uku's Xero integration."""

__version__ = "0.1.0"
