"""The flusher: writes the counted events, the gauges set and the heartbeat, once a second.

Methods of :class:`~migctl_client.Client`. A store that takes no writes now (busy, locked,
unreachable) keeps every count for the next flush. A store that takes the heartbeat but refuses
a count or a gauge has refused that value itself, which no retry can change: that one alone is
dropped, logged and counted in ``client.flush.dropped``, and the rest is written.
"""
from __future__ import annotations

import os
import socket
from typing import Dict, Set, Tuple

from . import _incidents as incident
from ._counter import MAX_COUNT
from ._store import Foreign, Heartbeat, Refused
from ._text import safe
from .errors import MigctlClientError


#: How many counters' counts are kept while the store takes no writes (the client's own
#: ``client.*`` ones always are); what does not fit is dropped, logged and counted.
CARRIED_NAMES_LIMIT = 4096


def _flush_turn(self) -> float:
    self.flush()
    return self._writer.delay(self.flush_interval)


def flush(self, *, _final: bool = False) -> bool:
    """Writes what was counted so far, the gauges set and the heartbeat, in one transaction.
    Flushes run one at a time. Never raises; returns whether everything pending was written."""
    if self._finished or (self._stop.is_set() and not _final):
        return False
    with self._flush_lock:
        counts, gauges, kept_before = self._take()
        heartbeat = Heartbeat(self.instance_id, socket.gethostname(), os.getpid(), self._snapshot.version,
                              self._started_at, self.is_stale) if self._running else None
        if self._foreign:
            self._carry(counts, gauges, kept_before)
            return False
        try:
            with self._writer.using() as (link, _):
                return _flush(self, link, counts, gauges, heartbeat, kept_before)
        except Exception as error:   # the writer could not even be opened
            return _failed(self, counts, gauges, kept_before, error if isinstance(error, MigctlClientError) else safe(repr(error)))


def _flush(self, link, counts, gauges, heartbeat, kept_before) -> bool:
    try:
        link.flush(self.salt, counts, gauges, heartbeat)
    except Refused as refusal:
        return self._recover(link, counts, gauges, heartbeat, kept_before, refusal)
    except Foreign as error:
        self._foreign = True
        return _failed(self, counts, gauges, kept_before, error)
    except MigctlClientError as error:
        # A store that fails twice in a row may be refusing one value in a way no rule names
        # (a trigger's own error): try the values alone, as the Swift client does.
        if self._writer.failures > 0 and (counts or gauges):
            return self._recover(link, counts, gauges, heartbeat, kept_before, error)
        return _failed(self, counts, gauges, kept_before, error)
    except Exception as error:   # a driver's surprise: keep the counts, say what it was
        return _failed(self, counts, gauges, kept_before, safe(repr(error)))
    self._writer.succeeded()
    return True


def _failed(self, counts, gauges, kept_before, error) -> bool:
    self._carry(counts, gauges, kept_before)
    self._writer.failed()
    delay = self._writer.delay(self.flush_interval)
    self._report(incident.FLUSH_ERROR, incident.WARNING,
                 f"could not write counts and heartbeat, keeping them for a retry in {delay:.1f} s: {error}")
    return False


def _take(self) -> Tuple[Dict[str, int], Dict[str, float], Set[str]]:
    """Everything pending: counts kept from failed flushes plus what was added since, and the gauges."""
    counts, self._carried = self._carried, {}
    kept_before = set(counts)
    for counter in list(self._counters.values()):
        refused = counter._take_refused()
        if refused:
            self._report(incident.COUNT_REFUSED, incident.WARNING,
                         f"counter '{counter.name}' was given an amount that is not a whole number of zero or more "
                         f"{refused} time{'s' if refused != 1 else ''}; counters only grow, so those amounts were ignored",
                         times=refused)
    for counter in list(self._counters.values()):
        value = counter._take()
        if value:
            counts[counter.name] = min(MAX_COUNT, counts.get(counter.name, 0) + value)
    with self._names_lock:
        gauges, self._gauges = self._gauges, {}
    return counts, gauges, kept_before


def _recover(self, link, counts, gauges, heartbeat, kept_before, first_error) -> bool:
    """After a refusal (or a second failure in a row): the heartbeat alone, then each count and
    each gauge alone, so that only what the store refuses is dropped, and what fails alone for
    another reason is kept without holding back the rest."""
    try:
        link.flush(self.salt, {}, {}, heartbeat)
    except Refused as refused:   # the heartbeat itself: the counts still go in
        self._report(incident.FLUSH_DROPPED, incident.ERROR,
                     f"the control store refused this instance's heartbeat, so it is not in the fleet table: {refused}")
    except Exception as error:
        return _failed(self, counts, gauges, kept_before, error)
    kept_counts, kept_gauges, last = {}, {}, first_error
    for name, value in sorted(counts.items()):
        try:
            link.flush(self.salt, {name: value}, {}, None)
        except Refused as refused:
            self._report(incident.FLUSH_DROPPED, incident.ERROR,
                         f"the control store refused {value} for counter '{name}', so it is dropped: {refused}")
        except Exception as error:
            kept_counts[name], last = value, error
    for name, value in sorted(gauges.items()):
        try:
            link.flush(self.salt, {}, {name: value}, None)
        except Refused as refused:
            self._report(incident.FLUSH_DROPPED, incident.ERROR,
                         f"the control store refused {value} for gauge '{name}', so it is dropped: {refused}")
        except Exception as error:
            kept_gauges[name], last = value, error
    if kept_counts or kept_gauges:
        return _failed(self, kept_counts, kept_gauges, kept_before, last)
    self._writer.succeeded()
    return True


def _carry(self, counts: Dict[str, int], gauges: Dict[str, float], kept_before: Set[str]) -> None:
    """Keeps ``counts`` and ``gauges`` for the next flush. At most ``CARRIED_NAMES_LIMIT``
    counters are kept (those kept before first, and always the client's own ``client.*``);
    what does not fit is dropped, logged and counted in ``client.flush.dropped``."""
    ordered = sorted(counts.items(), key=lambda item: (item[0] not in kept_before, item[0]))
    dropped, names = [], 0
    for name, value in ordered:
        own = name.startswith("client.")
        if not own and names >= CARRIED_NAMES_LIMIT:
            dropped.append((name, value))
            continue
        names += 0 if own else 1
        self._carried[name] = min(MAX_COUNT, self._carried.get(name, 0) + value)
    with self._names_lock:
        for name, value in gauges.items():
            self._gauges.setdefault(name, value)   # a value set since is newer
    for name, value in dropped:
        self._report(incident.FLUSH_DROPPED, incident.ERROR,
                     f"the counts kept for the control store while it takes no writes are full, so {value} "
                     f"for counter '{name}' is dropped")
