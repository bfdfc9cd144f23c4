"""The contract's instant: ISO 8601 UTC with exactly three fraction digits, as SQLite's
``strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`` writes it (``2026-11-25T12:58:08.123Z``)."""
from __future__ import annotations

import calendar
import time


def instant(seconds: float) -> str:
    """The stored form of Unix time ``seconds``."""
    return _of_millis(int(seconds * 1000))


def after(stamp: str) -> str:
    """The instant one millisecond after ``stamp`` (in the stored form)."""
    whole = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
    return _of_millis(whole * 1000 + int(stamp[20:23]) + 1)


def _of_millis(millis: int) -> str:
    whole, fraction = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:03d}Z"
