"""Which exceptions are Blink's bad answers and which are our bugs.

blinkpy lets many plain exceptions escape when Blink answers something unexpected
(`KeyError` on a missing field, `TypeError` on a null, `ValueError` on a body that is not
JSON, aiohttp's errors on the network). The same types are what a bug of ours raises.
They are told apart by where they were raised: walking the traceback from the innermost
frame outwards, the first frame that is blinkpy's or ours decides. aiohttp's errors and
timeouts are always the network's.
"""

from __future__ import annotations

import os
from types import TracebackType

import aiohttp
import blinkpy

NETWORK = (aiohttp.ClientError, TimeoutError)
"""Blink unreachable, cut off or too slow."""
BAD_ANSWER = (ValueError, AttributeError, KeyError, TypeError, IndexError)
"""What blinkpy raises on an answer it did not expect, when raised in blinkpy."""

_BLINKPY = os.path.dirname(blinkpy.__file__) + os.sep
_OURS = os.path.dirname(os.path.dirname(__file__)) + os.sep


def _frames(tb: TracebackType | None) -> list[str]:
    files = []
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return files


def raised_in_blinkpy(err: BaseException) -> bool:
    """Whether the innermost frame of blinkpy's or ours that `err` passed is blinkpy's."""
    for filename in reversed(_frames(err.__traceback__)):
        if filename.startswith(_BLINKPY):
            return True
        if filename.startswith(_OURS):
            return False
    return False


def is_blinks(err: BaseException) -> bool:
    """A failure of Blink (network, or an answer blinkpy could not read), not a bug."""
    return isinstance(err, NETWORK) or (isinstance(err, BAD_ANSWER) and raised_in_blinkpy(err))
