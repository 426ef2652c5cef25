"""Sync jobs between Xero and the Uku-side store: matching, the clients CSV, and (later)
reload, push and paid status. Jobs take a Xero client and a store and return result models."""
