"""The full verification: every key of the old store compared with the new store as the current
phase reads it, so the keys nobody happened to read are checked before the old store is retired
(the Swift client's ``Verifier``, in Python; docs/plans/issue-16.md, *The verifier's contract*)."""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable, Optional

from . import names
from ._instant import after, instant
from ._job import Job
from ._store import JobProgress, Mismatch
from ._text import safe
from .errors import MigctlClientError
from .migrator import Migrator, Stored

#: The digest of a side that holds no record.
ABSENT = "absent"
#: The digest of a new store that holds the tombstone of a delete.
TOMBSTONE = "tombstone"


def json_digest(value: Any) -> str:
    """The digest of a value unless the application gives its own: the lowercase hex SHA-256 of
    ``bytes`` themselves, of anything else as compact JSON with sorted keys in UTF-8 (what the
    Swift client's ``JSONEncoder`` with sorted keys writes for the same plain values)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(value)).hexdigest()
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"a {type(value).__name__} has no JSON form to take its digest of ({error}); "
                        "give the Verifier digest=, a function from a value to its digest") from None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Verifier(Job):
    """Walks the old store in key order and checks that the new store holds each record as the
    phase each key is in now reads it, without copying anything. A key whose old value is ``v``
    matches when the new store holds ``v``; when the phase no longer writes the old store, also
    when it holds a tombstone (deleted since) or a value ``supersedes(v, new)`` calls a later
    write. Anything else is a mismatch, judged once more after reading the old then the new
    record again (a write racing the walk); a key gone from the old store by then matches.

    Each mismatch is recorded in the control store (``verify_mismatches``: the key and the
    lowercase hex SHA-256 of each side's canonical bytes, or ``absent`` / ``tombstone``), in the
    same transaction as the run's progress (``job_progress`` row ``verify``: cursor, keys
    walked, total, mismatches, the phase the run started in and when that phase was entered),
    so ``migctl verify report`` and the ``verified`` gate see both or neither. It counts
    ``verify.full.match`` and ``verify.full.mismatch`` and sets the gauges
    ``verify.full.done``, ``verify.full.remaining`` and ``verify.full.rate`` (keys a second
    recently, as the backfill's ``backfill.rate``).

    A verifier goes on with the stored run (after a crash, a restart) when that has not finished
    and started in the phase the migration is in, in this visit of it; else it starts a new run
    (recording the phase and when it was entered, for the gate). Operators steer it like the
    backfill (``migctl verify pause|resume|rate|batch``) and ask a finished one for a new run
    (``migctl verify restart``); the plan's health throttle slows or pauses it as it does the
    backfill (recorded in the run under way, ``job_progress.throttled``; a verifier paused
    before its first batch has no run to record it in, as in the Swift client); the
    application can :meth:`pause` it::

        verifier = Verifier(migrator, supersedes=lambda old, new: new["updated"] > old["updated"])
        while verifier.step():
            pass
        print(verifier.mismatches)

    ``digest`` gives a value's digest when its JSON is not the value's canonical form: text of
    1 to 64 characters, by the contract the lowercase hex SHA-256 of the value's canonical bytes
    (as the Swift client's ``digest``).
    """

    def __init__(self, migrator: Migrator, batch_size: int = 500,
                 supersedes: Optional[Callable[[Any, Any], bool]] = None,
                 digest: Optional[Callable[[Any], str]] = None):
        super().__init__(migrator, "verify", batch_size)
        if supersedes is not None and not callable(supersedes):
            raise TypeError("supersedes is a function (old value, new value) -> whether the new one is a later write")
        if digest is not None and not callable(digest):
            raise TypeError("digest is a function from a value to its digest (hex SHA-256 of its canonical bytes)")
        self.supersedes = supersedes
        self._digest_of = digest or json_digest
        self._run: Optional[JobProgress] = None   # decided at the first step; cursor and done as walked
        self._saved = (None, 0)                   # the cursor and count stored (see Job._saved_cursor)

    @property
    def cursor(self) -> Optional[str]:
        """The last key walked in this run."""
        return self._run.cursor if self._run else None

    @property
    def done(self) -> int:
        """How many keys this run walked (before a crash too)."""
        return self._run.done if self._run else 0

    @property
    def mismatches(self) -> int:
        """How many mismatches this run found and recorded."""
        return self._run.mismatches if self._run else 0

    @property
    def started_at(self) -> Optional[str]:
        """When this run started (the store's instant), None before the first step."""
        return self._run.started_at if self._run else None

    @property
    def since_phase(self) -> Optional[str]:
        """The phase the migration was in when this run started."""
        return self._run.since_phase if self._run else None

    def _walk(self, size: int) -> bool:
        """Verifies one batch; a batch whose findings could not be recorded is walked again by
        the next step, and counted only once recorded."""
        run = self._run or self._begin()
        self._wait_for_rate(size)
        migrator = self.migrator
        batch = self._batch(run.cursor, size)
        found = [m for m in (self._judge(key, value) for key, value in batch) if m is not None]
        total = migrator.old.count()
        keys = [key for key, _ in batch]
        finished = len(batch) < size
        done = run.done + len(batch)
        walked = run._replace(cursor=keys[-1] if keys else run.cursor, done=done,
                              total=max(total, done) if finished else total,   # as the Swift client records it
                              mismatches=run.mismatches + len(found), instance=migrator.client.instance_id,
                              finished_at=instant(time.time()) if finished else None, throttled=self.throttled)
        saved = self._saved_cursor(keys, run.done, self._saved)
        stored = walked._replace(cursor=saved[0], done=walked.done if finished else saved[1])
        if not migrator.client._save_job_progress("verify", stored, found):
            raise MigctlClientError("the control store has no verification tables (schema version 4); "
                                    "run 'migctl upgrade' to version 5 first")
        self._run, self._saved, self._finished = walked, saved, finished
        self._throttle_saved()
        counter = migrator.client.counter
        counter(names.VERIFY_FULL_MATCH).add(len(batch) - len(found))
        counter(names.VERIFY_FULL_MISMATCH).add(len(found))
        done = min(walked.done, walked.total)
        migrator.client.gauge(names.VERIFY_FULL_DONE, done)
        migrator.client.gauge(names.VERIFY_FULL_REMAINING, 0 if finished else max(0, walked.total - done))
        self._publish_rate(len(batch), finished)
        return not finished

    def _record_throttle_change(self) -> None:
        """Records the health throttle's change in the run under way, once per change."""
        changed, reason = self._throttle_change()
        if not changed:
            return
        if self._run is not None:
            cursor, done = self._saved   # what the store has of the run's walk (see _walk)
            progress = self._run._replace(cursor=cursor, done=done, throttled=reason)
            self.migrator.client._save_job_progress("verify", progress)
        self._throttle_saved()

    def _again(self) -> bool:
        """A finished verifier starts a new run once an operator changed its control after the
        run finished (`migctl verify restart`, after mending what the run found)."""
        control = self.migrator.client.job_control("verify") or self._control
        self._control = control
        if control.changed_at is None or self._run is None or control.changed_at <= (self._run.finished_at or ""):
            return False
        self._run, self._saved, self._finished = None, (None, 0), False
        self._recent.reset()
        return True

    def _begin(self) -> JobProgress:
        """The stored run when it has not finished and started in this visit of the state's
        phase (as the Swift client decides), else a new one starting now in that phase."""
        client = self.migrator.client
        stored = client._job_progress("verify")
        phase, entered = client._phase_since()
        if stored is not None and stored.finished_at is None and (stored.since_phase, stored.phase_entered_at) == (phase, entered):
            run = stored._replace(instance=client.instance_id)
            self._saved = (stored.cursor, stored.done)
        else:
            # A run is known by its start: a new one starts at least a millisecond after the last.
            start = instant(time.time())
            if stored is not None and start <= stored.started_at:
                start = after(stored.started_at)
            run = JobProgress(None, 0, None, start, None, client.instance_id, phase, entered, 0)
        self._run = run
        return run

    def _judge(self, key: str, value: Any) -> Optional[Mismatch]:
        """None when ``key`` is as it should be in the new store, else the mismatch to record."""
        writes_old = "old" in self.migrator.client.route(key).writes
        new_side = self._new_side(value, self.migrator.new.get(key), writes_old)
        if new_side is None:
            return None
        value = self.migrator.old.get(key)   # once more, the old store first: a write may have raced the walk
        if value is None:
            return None                       # deleted during the walk
        new_side = self._new_side(value, self.migrator.new.get(key), writes_old)
        if new_side is None:
            return None
        return Mismatch(self.migrator.client._recorded(key), self._digest(value), new_side, instant(time.time()))

    def _new_side(self, value: Any, stored: Optional[Stored], writes_old: bool) -> Optional[str]:
        """None when the new store's record ``stored`` agrees with the old value ``value``, else
        its digest (``absent``, ``tombstone`` or its value's)."""
        if stored is None:
            return ABSENT            # a phase that reads only the new store would lose it
        if stored.is_tombstone:
            return TOMBSTONE if writes_old else None   # deleted after the old store stopped taking writes
        if stored.value == value:
            return None
        if not writes_old and self.supersedes is not None and self.supersedes(value, stored.value):
            return None
        return self._digest(stored.value)

    def _digest(self, value: Any) -> str:
        digest = self._digest_of(value)
        if not isinstance(digest, str) or not 1 <= len(digest) <= 64:
            raise TypeError(f"the Verifier's digest= gave {safe(digest, 80)}, not a digest: text of 1 to 64 characters")
        return digest
