"""The company <-> Xero link: connect (auth, orgs), disconnect, and status of companies."""
