"""JSON as the bridge reads and writes it (pure).

Reading is bounded: the caller limits the size, Python's decoder refuses nesting deeper
than the interpreter can hold, and `check` refuses anything deeper than MAX_DEPTH, with
more than MAX_VALUES values, holding `NaN`/`Infinity` (also as a number too large for a
float, such as 1e400) or a lone UTF-16 surrogate escape
(which no UTF-8 answer could echo). Writing is strict: never `NaN`/`Infinity` (they
become null) and never a lone surrogate (it becomes U+FFFD), so every message the bridge
sends is valid JSON in valid UTF-8.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a request may have."""
MAX_VALUES = 2_000
"""Most values (keys, items, scalars) a request may hold."""

_SURROGATE = re.compile("[\ud800-\udfff]")


class Unreadable(ValueError):
    """Not JSON the bridge reads: the message says why, in one line."""


def _no_constant(name: str) -> Any:
    raise Unreadable(f"{name} is not a JSON value")


def loads(text: str) -> Any:
    """Parse `text` (already size-limited); raises Unreadable with a one-line reason."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except Unreadable:
        raise
    except RecursionError:
        raise Unreadable("nested too deeply") from None
    except ValueError as err:  # JSONDecodeError, or an integer with too many digits
        raise Unreadable(str(err).splitlines()[0][:200]) from None


def problem(value: Any) -> str | None:
    """Why a parsed value can't be taken as a request, or None when it can."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            return f"more than {MAX_VALUES} values"
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and has_surrogate(item):
            return "a string holds a lone UTF-16 surrogate escape (e.g. \\ud800)"
        elif isinstance(item, float) and not math.isfinite(item):
            return "a number is out of range"
    return None


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any, default: Callable[[Any], Any] = _default) -> bytes:
    """Strict JSON in UTF-8: no NaN or infinity, no lone surrogate."""
    try:
        text = json.dumps(value, default=default, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), default=default, ensure_ascii=False, allow_nan=False)
    return _SURROGATE.sub("\ufffd", text).encode("utf-8")
