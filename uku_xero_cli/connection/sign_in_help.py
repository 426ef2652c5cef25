"""What `auth` tells the person while it waits for the browser, and when the wait fails.

A sign-in that never comes back looks the same from here whatever went wrong, because Xero
shows its error on its own page and never redirects (developer.xero.com, OAuth 2.0
troubleshooting: "I see a 500 error screen when trying to start the authorization flow" —
a wrong redirect_uri, an invalid scope or a wrong client_id). So the words name the causes in
the order they are met, each with what Xero's page says and what to check.
"""

from __future__ import annotations

from dataclasses import dataclass

from uku_xero_cli.command_lines import auth_again

# What Xero's error page says for an unknown client id (xero-python#110 and
# xero-postman-oauth2#9, both fixed by correcting the client id) and for an unregistered
# redirect URI (xero-netstandard-oauth2-samples#5; the emulator shows the same words).
UNKNOWN_CLIENT = "unauthorized_client : Unknown client or client not enabled"
INVALID_REDIRECT_URI = "unauthorized_client : Invalid redirect_uri"


@dataclass(frozen=True)
class SignInHelp:
    """The words of one sign-in: which company, client id and redirect URI it uses."""

    company: str
    client_id: str
    redirect_uri: str
    port: int
    timeout: float
    # Whether a redirect URL pasted on the terminal is read.
    pasting: bool

    def paste_here(self) -> str:
        return (
            "paste here the address the browser ends on (it starts with "
            f"{self.redirect_uri}?) and press Enter"
        )

    def waiting(self, doing: str) -> str:
        """Said before the browser opens: a refused sign-in never comes back to us."""
        lines = [f"{doing} (up to {self.timeout:.0f} s; --timeout N changes it)."]
        if self.pasting:
            lines.append(f"If the browser cannot reach this machine, {self.paste_here()}.")
        lines.append(
            "If Xero shows an error page instead of asking for consent: "
            f"'{UNKNOWN_CLIENT}' means the client id is not right; "
            f"'{INVALID_REDIRECT_URI}' means {self.unregistered()}."
        )
        return "\n".join(lines)

    def unregistered(self) -> str:
        return (
            f"{self.redirect_uri} is not registered for the app at developer.xero.com: "
            "register it, or use --port with a port whose redirect URI is registered"
        )

    def no_browser(self, reason: str) -> str:
        """Said when no browser could be opened: the sign-in goes on without one."""
        if self.pasting:
            then = (
                "open the address above in a browser on any machine, sign in, then "
                + self.paste_here()
            )
        else:
            then = (
                "open the address above in a browser on this machine, or run "
                f"`{auth_again(self.company, '--no-browser')}` at a terminal to sign in on "
                "another machine and paste the address its browser ends on"
            )
        return f"No browser could be opened ({reason}): {then}."

    def timeout_causes(self, no_browser: str | None) -> str:
        """The likely causes of a sign-in that never came back, most likely first."""
        causes = []
        if no_browser is not None:
            causes.append(
                f"no browser could be opened ({no_browser}): run "
                f"`{auth_again(self.company, '--no-browser')}`, open the address it prints "
                "in any browser, and paste the address that browser ends on"
            )
        causes += [
            f"Xero's page said '{UNKNOWN_CLIENT}': the client id {self.client_id} "
            "(XERO_CLIENT_ID or client_id in config.toml) is not that of a Xero app that "
            "signs in through a browser: check it under My Apps at developer.xero.com (an "
            "'Auth code with PKCE' app, or a 'Web app' with its secret in XERO_CLIENT_SECRET)",
            f"Xero's page said '{INVALID_REDIRECT_URI}': {self.unregistered()}",
            "the sign-in or the consent was not finished in the browser: run "
            f"`{auth_again(self.company)}` again, sign in and choose Allow access "
            "(--timeout N gives more time)",
        ]
        numbered = (f"{n}. {cause}" for n, cause in enumerate(causes, 1))
        return "the likely causes, most likely first:\n" + "\n".join(numbered)
