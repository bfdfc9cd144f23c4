"""The one error the client raises (and its kinds): when it cannot start (no readable state), or
when asked to do what the contract refuses. Once running, it never raises into the application
because of the control store: it keeps its last state and counts what went wrong."""
from __future__ import annotations

from typing import Optional

from ._text import safe


class MigctlClientError(Exception):
    """The control store could not be opened or read, or holds what this client cannot follow.

    The message is one sentence saying what is wrong and what to do next.
    """


class ScanOrderError(MigctlClientError):
    """The old store's ``scan`` returned a key that is not after the one before it (the cursor,
    for the first key of a batch): a scan written with ``>=`` for ``>`` makes a job walk the same
    key forever, one out of order makes it skip keys. The ``Backfill`` and the ``Verifier``
    refuse such a batch whole, copying, counting and recording nothing from it (the Swift
    client's ``ScanOrderError``). Keys are compared as Python compares ``str``: by code point.
    """

    def __init__(self, cursor: Optional[str], previous: str, key: str):
        self.cursor, self.previous, self.key = cursor, previous, key
        super().__init__(
            f"the old store's scan after {'the start' if cursor is None else _shown(cursor)} returned {_shown(key)}, "
            f"not after {_shown(previous)}: scan(after, limit) must return keys strictly after the cursor, "
            "in increasing order (as Python's < compares str, by code point); nothing was copied or verified from this batch")


def _shown(key: str) -> str:
    """A key in the sentence: quoted, its first 64 characters, terminal-safe."""
    return f"'{safe(key, 64)}'"
