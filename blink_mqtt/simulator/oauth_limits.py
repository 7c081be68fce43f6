"""Sign-in lock-out and transient refresh failures: how the real OAuth host says no.

* Lock-out: after ``lockout_after_failures`` failed sign-ins (wrong password or 2FA
  code) in a row, every sign-in is answered 429 for ``lockout_seconds``, correct
  credentials included. Blink users report 429s and a lock of the account and the
  phone app for about an hour (colinbendell/homebridge-blink-for-home#148,
  home-assistant/core#107143, fronzbot/blinkpy#720). 0 turns it off. With
  ``lockout_retry_after`` the 429 says how long in ``Retry-After`` (seconds left); whether
  the real Blink sends it is not known (none of those reports shows its headers).
* Transient refresh failures: every ``refresh_fail_every``-th refresh grant, and the
  next ``pending_refresh_failures`` ones, answer 503 while the refresh token stays
  valid; blinkpy raises ``TokenRefreshFailed`` (home-assistant/core#177746).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class LoginLimits:
    lockout_after_failures: int
    lockout_seconds: float
    refresh_fail_every: int
    lockout_retry_after: bool = False
    failures: int = 0
    locked_until: float = 0.0
    refresh_grants: int = 0
    pending_refresh_failures: int = 0

    def locked(self, now: float) -> bool:
        return now < self.locked_until

    def sign_in_failed(self, now: float) -> None:
        self.failures += 1
        limit = self.lockout_after_failures
        if limit and self.failures >= limit:
            self.lock(now, self.lockout_seconds)

    def sign_in_succeeded(self) -> None:
        self.failures = 0

    def lock(self, now: float, seconds: float) -> None:
        self.locked_until = now + seconds
        self.failures = 0

    def unlock(self) -> None:
        self.locked_until = 0.0
        self.failures = 0

    def refresh_fails(self) -> bool:
        """Count one refresh grant; True if it is to fail transiently."""
        self.refresh_grants += 1
        if self.pending_refresh_failures > 0:
            self.pending_refresh_failures -= 1
            return True
        every = self.refresh_fail_every
        return every > 0 and self.refresh_grants % every == 0
