"""Talking to Xero: the API client, pacing, and parsing of what Xero sends."""
