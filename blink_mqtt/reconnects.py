"""When to connect to the broker again (pure): capped back-off, and the signs that
another client took our session over."""

from __future__ import annotations

from dataclasses import dataclass

BACKOFF_FIRST, BACKOFF_CAP = 1.0, 30.0
STABLE_AFTER = 30.0
"""Seconds a connection must last before the back-off starts again from its first step."""
TAKEN_OVER_FIRST, TAKEN_OVER_CAP = 60.0, 900.0
"""Back-off after another client took our session over (v5 reason code 142)."""
SESSION_TAKEN_OVER = 142
SHORT_SESSIONS = 3
"""Connections in a row that end within STABLE_AFTER seconds: a sign of a session fight."""


@dataclass
class Reconnects:
    """How long to wait before connecting again, and whether our session was taken over.

    Brokers that say so end a connection with reason code 142 (session taken over). Others
    (and MQTT 3.1.1) just close it: SHORT_SESSIONS connections in a row that end within
    seconds, each accepted at once, are the same sign. Either way the bridge backs off for
    minutes instead of taking the session back every second.
    """

    backoff: float = BACKOFF_FIRST
    taken_over: float = TAKEN_OVER_FIRST
    short_in_a_row: int = 0

    def next_pause(self, lasted: float | None, reason: int | None) -> tuple[float, str | None]:
        """The pause after a connection that lasted `lasted` s (None: refused), and the
        reason to believe another client took the session over (None: no such sign)."""
        if lasted is None:
            self.short_in_a_row = 0
        elif lasted > STABLE_AFTER:
            self.backoff, self.taken_over, self.short_in_a_row = BACKOFF_FIRST, TAKEN_OVER_FIRST, 0
        else:
            self.short_in_a_row += 1
        why = None
        if reason == SESSION_TAKEN_OVER:
            why = "Another MQTT client took over this bridge's session (reason code 142)"
        elif self.short_in_a_row >= SHORT_SESSIONS:
            why = (
                f"The broker closed {self.short_in_a_row} connections in a row within seconds "
                "of accepting them, as it does when another MQTT client connects with the "
                "same client id"
            )
        if why is None:
            pause, self.backoff = self.backoff, min(self.backoff * 2, BACKOFF_CAP)
            return pause, None
        pause, self.taken_over = self.taken_over, min(self.taken_over * 2, TAKEN_OVER_CAP)
        return pause, why


def reason_code(err: BaseException) -> int | None:
    """The MQTT reason code behind a connection error, if the broker sent one."""
    seen: BaseException | None = err
    while seen is not None:
        rc = getattr(seen, "rc", None)
        if rc is not None:
            return int(getattr(rc, "value", rc))
        seen = seen.__cause__ or seen.__context__
    return None
