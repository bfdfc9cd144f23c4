"""A job's recent pace (the Swift client's ``RecentRate``): rows walked a second, weighted
towards the last 30 seconds, measured by the job itself and published after each batch as the
gauge ``backfill.rate`` / ``verify.full.rate``. Only the job knows when it walked rows and when
it stood paused, so a pause neither drags the rate towards zero nor counts as work; every reader
(the console, ``migctl backfill|verify status``, ``status --watch``) shows the figure published.

The average is exponentially weighted in time (time constant 15 s: the last 30 s carry 86% of
the weight), each interval between two batches weighing by its length, and corrected for its
start: until the job has run a while it is about the average since it started. Both clients
compute it alike; a test holds them to the same figures."""
from __future__ import annotations

import math
from typing import Optional

#: The time constant of the weighting, in seconds.
TIME_CONSTANT = 15.0
#: Seconds to measure before giving a rate: one batch in a few milliseconds says little.
MINIMUM_SECONDS = 1.0


class RecentRate:
    """Pure: the job passes a monotonic clock's readings (``time.monotonic()``). A reading that
    goes backwards anyway is not measured; its rows are carried into the next interval."""

    def __init__(self) -> None:
        self._weighted_rate = 0.0   # sum of rate x weight, decayed
        self._weight = 0.0          # sum of weights, decayed
        self._measured = 0.0        # seconds measured in all, for MINIMUM_SECONDS
        self._since: Optional[float] = None   # where the interval being measured began; None while paused
        self._carried = 0

    @property
    def rows_per_second(self) -> Optional[float]:
        """Rows walked a second recently; None until MINIMUM_SECONDS were measured."""
        if self._measured < MINIMUM_SECONDS or self._weight <= 0:
            return None
        rate = self._weighted_rate / self._weight
        return max(0.0, rate) if math.isfinite(rate) else None

    def resume(self, now: float) -> None:
        """The job is about to walk a batch at ``now``: measure from here, unless an interval is
        already being measured (the time since the last batch counts)."""
        if self._since is None:
            self._since = now

    def pause(self) -> None:
        """The job stands still: the time until the next :meth:`resume` is not measured."""
        self._since = None

    def walked(self, rows: int, now: float) -> None:
        """The job walked ``rows`` by ``now``, since the last batch or :meth:`resume`."""
        rows = self._carried + max(0, int(rows))
        start, self._since = self._since, now
        if start is None:
            return   # never resumed: measure from here
        seconds = now - start
        if not seconds > 0:
            self._carried = rows
            return
        self._carried = 0
        decay = math.exp(-seconds / TIME_CONSTANT)
        self._weighted_rate = self._weighted_rate * decay + rows / seconds * (1 - decay)
        self._weight = self._weight * decay + (1 - decay)
        self._measured += seconds

    def reset(self) -> None:
        """Forgets everything measured: a new run starts."""
        self.__init__()
