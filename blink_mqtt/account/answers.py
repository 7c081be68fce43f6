"""What Blink's sign-in host last answered, and what that answer means for the login.

blinkpy 0.25.9 reports a failed sign-in step or token request only as a failure: its
`oauth_*` functions in `blinkpy/api.py` return None or False whatever the status, and
`Auth.startup()` turns every failure into `LoginError`. The session's trace (session.py)
keeps the last answer of the sign-in host, so the bridge can tell why:

* 406 from Cloudflare: Blink's front end refuses this client (fronzbot/blinkpy#1266,
  home-assistant/core#176708, #176836). Retrying does not help; an update might.
* 429: too many attempts; Blink locks sign-ins of the account (and its phone app) for
  about an hour (home-assistant/core#107143, homebridge-blink-for-home#148: "try again
  in 60 minutes"). Whether Blink sends `Retry-After` is not known; it is honoured if sent.
* 400 (e.g. `empty_cookies`): the sign-in session's cookie was missing (fronzbot/blinkpy
  #1147, PR #1229: a client that dropped cookies). The bridge keeps its cookies, so a
  400 is taken as a front-end hiccup: a fresh sign-in after a back-off.
* 401 (or a refused password): wrong credentials.
* 5xx, no answer: Blink unreachable.
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

DEFINITIVE = frozenset({400, 401})
"""Token-endpoint statuses that mean the refresh token itself was refused (OAuth's
`invalid_grant` is a 400; Blink and the simulator answer 401)."""
MAX_RETRY_AFTER = 86400.0


@dataclass(frozen=True, slots=True)
class OAuthAnswer:
    """One answer of the sign-in host: `status` 0 when none came (network error)."""

    path: str
    status: int
    retry_after: float | None = None
    """Seconds Blink asked to wait (`Retry-After`), when it said so."""
    cloudflare: bool = False
    failure: str | None = None
    """For status 0: the exception's type name."""

    @property
    def is_token(self) -> bool:
        return self.path.startswith("/oauth/token")

    def reason(self) -> str:
        """A short reason for messages and the health answer (never a secret)."""
        if self.status == 0:
            return f"no answer ({self.failure})"
        if self.cloudflare:
            return f"HTTP {self.status} from Cloudflare"
        return f"HTTP {self.status}"


def answer_of(path: str, response: aiohttp.ClientResponse) -> OAuthAnswer:
    now = datetime.now(UTC)
    return OAuthAnswer(
        path=path,
        status=response.status,
        retry_after=retry_after_seconds(response.headers.get("Retry-After"), now),
        cloudflare="cloudflare" in response.headers.get("Server", "").lower(),
    )


def failure_of(path: str, error: BaseException) -> OAuthAnswer:
    return OAuthAnswer(path=path, status=0, failure=type(error).__name__)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now` (delta-seconds or an HTTP date, RFC 9110
    10.2.3), within 0 and a day; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    seconds: float | None = None
    if text.isascii() and text.isdigit():
        seconds = MAX_RETRY_AFTER if len(text) > 9 else float(int(text))
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            seconds = (when - now).total_seconds()
        except OverflowError:
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
