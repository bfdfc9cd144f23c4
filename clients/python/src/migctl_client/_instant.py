"""The contract's instant: ISO 8601 UTC with exactly three fraction digits, as SQLite's
``strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`` writes it (``2026-11-25T12:58:08.123Z``)."""
from __future__ import annotations

import time


def instant(seconds: float) -> str:
    """The stored form of Unix time ``seconds``."""
    millis = int(seconds * 1000)
    whole, fraction = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:03d}Z"
