"""A counter's in-memory total, added to by the application's threads and taken by the flusher."""
from __future__ import annotations

import threading
from threading import get_ident

MAX_COUNT = 2**63 - 1


class Counter:
    """One counter (``client.counter("hit")``): keep it and call :meth:`add` on a hot path.

    Each thread adds to a slot of its own that only it writes and that only grows; the flusher
    takes the difference since it last looked. So no lock is taken, no count is lost or counted
    twice however many threads add at once, with or without the GIL. A counter only grows: an
    amount that is not a whole number of zero or more is ignored, and the next flush logs it
    and counts it in ``client.count.refused``. Never raises.
    """

    __slots__ = ("name", "_slots", "_seen", "_refused", "_lock")

    def __init__(self, name: str):
        self.name = name
        self._reset()

    def add(self, amount: int = 1) -> None:
        """Adds ``amount`` (1 by default); it reaches the store with the next flush."""
        if amount.__class__ is int and amount >= 0:
            try:
                self._slots[get_ident()] += amount
            except KeyError:   # this thread's first add
                self._slots[get_ident()] = amount
        elif isinstance(amount, int) and not isinstance(amount, bool) and amount >= 0:
            self.add(int(amount))
        else:
            with self._lock:
                self._refused += 1

    def _take(self) -> int:
        """The total added since the last take (the flusher's alone), at most 2^63-1: the store
        saturates there too."""
        total, seen = 0, self._seen
        for thread, value in list(self._slots.items()):
            total += value - seen.get(thread, 0)
            seen[thread] = value
        return min(total, MAX_COUNT)

    def _take_refused(self) -> int:
        with self._lock:
            refused, self._refused = self._refused, 0
        return refused

    @property
    def _pending(self) -> bool:
        seen = self._seen
        return any(value != seen.get(thread, 0) for thread, value in list(self._slots.items()))

    def _reset(self) -> None:
        """Forgets everything (a forked child starts with none of its parent's counts)."""
        self._slots = {}
        self._seen = {}
        self._refused = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Counter({self.name!r})"
