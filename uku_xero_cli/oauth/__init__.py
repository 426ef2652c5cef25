"""OAuth 2.0 with Xero's identity service: the flow, the loopback redirect, and refresh."""
