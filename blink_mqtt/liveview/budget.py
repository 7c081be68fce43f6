"""Live-view seconds used per camera per UTC day, kept in DATA_DIR/liveview_usage.json
(written to a temporary name, then renamed) so that a restart does not refill the
budget. Live view costs Blink resources and the camera's battery; Blink meters it per
camera (`lv_seconds` in its camera usage answer)."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, date, datetime
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "liveview_usage.json"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


class Budget:
    def __init__(self, data_dir: Path, daily_seconds: float) -> None:
        self.path = data_dir / FILE_NAME
        self.daily = daily_seconds
        self._day = today()
        self._used: dict[str, float] = {}
        self._load()

    def _load(self) -> None:
        try:
            stored = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as err:
            log.warning("Ignoring %s: %s", self.path, err)
            return
        if isinstance(stored, dict) and stored.get("day") == self._day:
            used = stored.get("used")
            if isinstance(used, dict):
                self._used = {
                    str(k): float(v) for k, v in used.items() if isinstance(v, int | float)
                }

    def _roll(self) -> None:
        day = today()
        if day != self._day:
            self._day, self._used = day, {}

    def used(self, serial: str) -> float:
        self._roll()
        return self._used.get(serial, 0.0)

    def left(self, serial: str) -> float:
        return max(0.0, self.daily - self.used(serial))

    def add(self, serial: str, seconds: float) -> None:
        self._roll()
        self._used[serial] = self._used.get(serial, 0.0) + max(0.0, seconds)
        self._save()

    def resets_at(self) -> datetime:
        day = date.fromisoformat(self._day)
        return datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=UTC)

    def _save(self) -> None:
        body = json.dumps({"day": self._day, "used": self._used}, sort_keys=True)
        temp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(body, "utf-8")
            os.replace(temp, self.path)
        except OSError as err:
            log.error("Cannot save live-view usage to %s: %s", self.path, err.strerror)
