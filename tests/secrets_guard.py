"""Suite-wide: no password or token may appear in a log line or an MQTT payload.

Fixtures that create secrets (the simulator's password and issued tokens) `remember`
them; every Probe is `watch`ed; the autouse fixture in conftest checks both at the end
of each test, with the log records captured through the product's redacting filter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol


class _Watched(Protocol):
    @property
    def received(self) -> Sequence[object]: ...


_secrets: set[str] = set()
_probes: list[_Watched] = []


def remember(*secrets: str) -> None:
    _secrets.update(s for s in secrets if s)


def watch(probe: _Watched) -> None:
    _probes.append(probe)


def reset() -> None:
    _secrets.clear()
    _probes.clear()


def leaks(records: list[logging.LogRecord], extra_text: str = "") -> list[str]:
    """Descriptions of every place a remembered secret shows up."""
    found = []
    texts = [(f"log {r.name}", r.getMessage() + (r.exc_text or "")) for r in records]
    texts.append(("process output", extra_text))
    for probe in _probes:
        for message in probe.received:
            payload = getattr(message, "payload", b"")
            texts.append(
                (f"MQTT {getattr(message, 'topic', '?')}", payload.decode(errors="replace"))
            )
    for where, text in texts:
        found += [
            f"{where} contains a secret ({secret[:3]}...)" for secret in _secrets if secret in text
        ]
    return found
