"""The plan, the state and the routes, as plain immutable values read from the store's rows.

Rows may come from a foreign client, a script or a person with ``sqlite3``: each function here
checks what it reads and raises :class:`StateProblem` naming the table, column and value of
the first thing that is wrong, in one sentence.
"""
from __future__ import annotations

import json
import re
from typing import NamedTuple, Optional, Tuple

from ._text import safe
from ._throttle import Throttle, rules_from_automation

READ_MODES = ("old", "new-fallback-old", "new")
STORES = ("old", "new")
FULL_ROLLOUT = 10_000
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
DEFAULT_SERVING_LEASE = 60


class StateProblem(Exception):
    """A row of the control store that this client cannot route by (one sentence)."""


class Phase(NamedTuple):
    """One phase of the plan: where it reads, which stores it writes (primary first)."""
    position: int
    id: str
    reads: str
    writes: Tuple[str, ...]
    irreversible: bool
    fleet_heartbeats: Tuple[int, ...]
    #: Deletes leave tombstones in the new store: the store's own `phases.tombstones` column,
    #: so the rule is the contract version's (schema 5: wherever reads fall back).
    tombstones: bool
    #: While this phase is current, these health gauges slow or pause the ``Backfill`` and the
    #: ``Verifier`` (``phases.automation``'s ``throttle``; empty when the phase has none).
    throttle: Tuple[Throttle, ...] = ()
    #: What of ``phases.automation`` cannot be read as throttle rules; the jobs pause while
    #: it is so (routing goes on: the rules are the jobs' alone).
    throttle_problem: Optional[str] = None

    @property
    def primary(self) -> str:
        return self.writes[0]

    @property
    def secondary(self) -> Optional[str]:
        return self.writes[1] if len(self.writes) > 1 else None


class Route(NamedTuple):
    """What one key's requests do now: a plain immutable value, shared by every caller.

    ``position`` is the phase's place in the plan (1-based, as in the ``phases`` table and in
    ``migctl status``); ``version`` is the state version that decided it.
    """
    phase: str
    position: int
    reads: str
    primary: str
    secondary: Optional[str]
    version: int
    #: Deletes leave a tombstone in the new store (the phase's ``tombstones`` column).
    deletes_leave_tombstones: bool

    @property
    def writes(self) -> Tuple[str, ...]:
        """The stores written, primary first."""
        return (self.primary,) if self.secondary is None else (self.primary, self.secondary)

    @property
    def verifies_reads(self) -> bool:
        """While the old store is authoritative and the new one is read, reads compare both."""
        return self.primary == "old" and self.reads != "old"


class Snapshot(NamedTuple):
    """What the client knows of the migration: its name (the bucketing salt), when its store
    was created, the plan, and the state (phase, rollout in basis points, version)."""
    salt: str
    created_at: str
    phases: Tuple[Phase, ...]
    phase: str
    rollout: int
    version: int

    @property
    def serving_lease(self) -> int:
        """Seconds a client may route by an unrefreshed state before it says it is stale: the
        shortest heartbeat window of the plan's fleet gates, 60 without any."""
        windows = [w for p in self.phases for w in p.fleet_heartbeats]
        return max(1, min(windows)) if windows else DEFAULT_SERVING_LEASE

    def routes(self) -> Tuple[Route, Route]:
        """The routes of keys inside and outside the rollout."""
        index = next(i for i, p in enumerate(self.phases) if p.id == self.phase)
        inside, outside = self.phases[index], self.phases[max(0, index - 1)]
        return (_route(inside, self.version), _route(outside, self.version))


def _route(phase: Phase, version: int) -> Route:
    return Route(phase.id, phase.position, phase.reads, phase.primary, phase.secondary, version, phase.tombstones)


def _where(table: str, column: str, value) -> str:
    return f"{table}.{column} holds {safe(value, 80)}"


def _text(table: str, column: str, value) -> str:
    if not isinstance(value, str) or not value:
        raise StateProblem(f"{_where(table, column, value)}, which is not non-empty text")
    return value


def _integer(table: str, column: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StateProblem(f"{_where(table, column, value)}, which is not a whole number from {low} to {high}")
    return value


def _flag(table: str, column: str, value) -> bool:
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise StateProblem(f"{_where(table, column, value)}, which is not 0 or 1 (or a boolean)")


def _fleet_heartbeats(gates) -> Tuple[int, ...]:
    """The heartbeat windows of a phase's fleet gates; gates migctl itself judges, so anything
    unreadable here only means no window from that gate."""
    if not isinstance(gates, str):
        return ()
    try:
        parsed = json.loads(gates)
    except (ValueError, RecursionError):   # garbage, or nesting deeper than the parser goes
        return ()
    windows = []
    for gate in parsed if isinstance(parsed, list) else ():
        kind = gate.get("kind") if isinstance(gate, dict) else None
        fleet = kind.get("fleet") if isinstance(kind, dict) else None
        seconds = fleet.get("heartbeatSeconds") if isinstance(fleet, dict) else None
        if isinstance(seconds, int) and not isinstance(seconds, bool) and 0 < seconds < 10**9:
            windows.append(seconds)
    return tuple(windows)


def phase_from_row(position, phase_id, reads, writes, irreversible, gates, tombstones, automation=None) -> Phase:
    """A ``phases`` row, checked: a known read mode, one or two distinct known stores written.
    Throttle rules that cannot be read are no reason to stop routing: the phase says so in
    ``throttle_problem`` and the jobs pause."""
    position = _integer("phases", "position", position, 1, 10_000)
    phase_id = _text("phases", "id", phase_id)
    if reads not in READ_MODES:
        raise StateProblem(f"{_where('phases', 'reads', reads)} for phase '{safe(phase_id)}', "
                           f"which is none of {', '.join(READ_MODES)}")
    stores = tuple(writes.split(",")) if isinstance(writes, str) else ()
    if not 1 <= len(stores) <= 2 or len(set(stores)) != len(stores) or any(s not in STORES for s in stores):
        raise StateProblem(f"{_where('phases', 'writes', writes)} for phase '{safe(phase_id)}', "
                           "which is not one or two distinct stores of old and new, primary first")
    throttle, problem = rules_from_automation(automation)
    return Phase(position, phase_id, reads, stores, _flag("phases", "irreversible", irreversible),
                 _fleet_heartbeats(gates), _flag("phases", "tombstones", tombstones), throttle, problem)


def snapshot_from_rows(migration, phase_rows, state) -> Snapshot:
    """The snapshot of one transaction's ``migration``, ``phases`` and ``state`` rows; anything
    wrong with them is a :class:`StateProblem`, whatever it is."""
    try:
        return _snapshot(migration, phase_rows, state)
    except StateProblem:
        raise
    except Exception as error:   # a row shaped like nothing the checks foresaw
        raise StateProblem(f"the rows cannot be read ({safe(type(error).__name__)}: {safe(str(error), 120)})") from None


def _snapshot(migration, phase_rows, state) -> Snapshot:
    if migration is None:
        raise StateProblem("the migration table has no row 1")
    if state is None:
        raise StateProblem("the state table has no row 1")
    name, created_at = migration
    name = _text("migration", "name", name)
    created_at = created_at if isinstance(created_at, str) else safe(created_at)
    phases = tuple(phase_from_row(*row) for row in phase_rows)
    if not phases:
        raise StateProblem("the phases table is empty")
    ids = [p.id for p in phases]
    if len(set(ids)) != len(ids):
        raise StateProblem("the phases table names a phase twice")
    phase, rollout, version = state
    phase = _text("state", "phase", phase)
    if phase not in ids:
        raise StateProblem(f"{_where('state', 'phase', phase)}, a phase the plan does not have")
    rollout = _integer("state", "rollout", rollout, 0, FULL_ROLLOUT)
    version = _integer("state", "version", version, 1, 2**63 - 1)
    return Snapshot(name, created_at, phases, phase, rollout, version)
