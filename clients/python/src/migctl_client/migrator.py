"""Routes an application's reads, writes and deletes between the old and the new store by the
phase each key gets, and counts what happened: the Swift client's ``Migrator``, in Python."""
from __future__ import annotations

from typing import Any, Callable, Generic, List, NamedTuple, Optional, Protocol, Tuple, TypeVar

from . import names
from ._client import Client

V = TypeVar("V")


class Stored(Generic[V]):
    """A record as the new store keeps it: a value, or the tombstone a delete leaves
    (``Stored.TOMBSTONE``), so a fallback read or the backfill never brings it back."""

    __slots__ = ("value", "is_tombstone")

    def __init__(self, value: Optional[V] = None, *, tombstone: bool = False):
        self.value = None if tombstone else value
        self.is_tombstone = tombstone

    def __eq__(self, other) -> bool:
        return isinstance(other, Stored) and (self.is_tombstone, self.value) == (other.is_tombstone, other.value)

    def __repr__(self) -> str:
        return "Stored.TOMBSTONE" if self.is_tombstone else f"Stored({self.value!r})"


Stored.TOMBSTONE = Stored(tombstone=True)


class OldStore(Protocol[V]):
    """The old store, as the application already talks to it."""
    def get(self, key: str) -> Optional[V]: ...
    def put(self, key: str, value: V) -> None: ...
    def delete(self, key: str) -> None: ...
    def scan(self, after: Optional[str], limit: int) -> List[Tuple[str, V]]:
        """Up to ``limit`` records with keys strictly after ``after`` (None: from the start), in
        increasing key order as Python compares ``str``; the jobs refuse any other batch
        (:class:`ScanOrderError`)."""
    def count(self) -> int: ...


class NewStore(Protocol[V]):
    """The new store, which also keeps tombstones and can insert only when a key is absent.
    ``origin`` says why a record arrived: ``"write"``, ``"miss"`` or ``"backfill"``."""
    def get(self, key: str) -> Optional[Stored[V]]: ...
    def put(self, key: str, stored: Stored[V], origin: str) -> None: ...
    def put_if_absent(self, key: str, value: V, origin: str) -> bool:
        """Inserts only if nothing (no value, no tombstone) is under ``key``; returns whether it did."""
    def delete(self, key: str) -> None: ...
    def purge_tombstones(self) -> int: ...


class FailedWrite(NamedTuple):
    """A secondary write that failed, handed to ``on_secondary_failure`` to retry."""
    key: str
    store: str          # "old" or "new"
    value: Any          # None for a delete
    error: BaseException


class Migrator(Generic[V]):
    """Reads, writes and deletes by each key's route.

    - writes go to the primary store first (its exception is the caller's), then the secondary,
      best effort: a failure there is counted (``write.new.error``, ``write.old.error``) and
      handed to ``on_secondary_failure``. Writes and deletes count ``write.old`` or ``write.new``
      by the primary that took them;
    - reads of a phase that reads only the old store count ``read.old``;
    - reads of a phase that reads the new store count ``hit`` when the record is there and
      ``miss`` when it was copied from the old store (insert-if-absent, so a copy never overwrites
      a newer write); while the old store is authoritative, reads also compare both stores
      (``verify.match``, ``verify.mismatch``) and return the old store's value;
    - deletes leave tombstones in the new store where the phase says so.
    """

    def __init__(self, client: Client, old: OldStore[V], new: NewStore[V],
                 on_secondary_failure: Optional[Callable[[FailedWrite], None]] = None):
        self.client, self.old, self.new = client, old, new
        self.on_secondary_failure = on_secondary_failure or (lambda failed: None)
        c = client.counter
        self._hit, self._miss, self._absent, self._read_old = c(names.HIT), c(names.MISS), c(names.READ_ABSENT), c(names.READ_OLD)
        self._write, self._delete = c(names.WRITE), c(names.DELETE)
        self._match, self._mismatch = c(names.VERIFY_MATCH), c(names.VERIFY_MISMATCH)
        self._served = {"old": c(names.WRITE_OLD), "new": c(names.WRITE_NEW)}
        self._errors = {"old": c(names.WRITE_OLD_ERROR), "new": c(names.WRITE_NEW_ERROR)}

    def read(self, key: str) -> Optional[V]:
        """Reads ``key`` the way its phase says."""
        route = self.client.route(key)
        if route.reads == "old":
            value = self.old.get(key)
            self._read_old.add()
            return value
        stored = self.new.get(key)
        if route.reads == "new":
            if stored is not None:   # a tombstone too: the new store answered (as the Swift client counts)
                self._hit.add()
            return None if stored is None else stored.value
        if stored is not None:
            self._hit.add()
            if not route.verifies_reads:
                return stored.value
            authoritative = self.old.get(key)
            (self._match if authoritative == stored.value else self._mismatch).add()
            return authoritative
        value = self.old.get(key)
        if value is None:
            self._absent.add()
            return None
        if self.new.put_if_absent(key, value, "miss"):
            self._miss.add()
        return value

    def write(self, key: str, value: V) -> None:
        """Writes ``value``: the primary store must take it, the secondary is best effort."""
        route = self.client.route(key)
        self._write.add()

        def put(store: str) -> None:
            if store == "old":
                self.old.put(key, value)
            else:
                self.new.put(key, Stored(value), "write")

        self._apply(route, key, value, put)

    def delete(self, key: str) -> None:
        """Deletes ``key``, leaving a tombstone in the new store when the phase needs one."""
        route = self.client.route(key)
        self._delete.add()

        def remove(store: str) -> None:
            if store == "old":
                self.old.delete(key)
            elif route.deletes_leave_tombstones:
                self.new.put(key, Stored.TOMBSTONE, "write")
            else:
                self.new.delete(key)

        self._apply(route, key, None, remove)

    def _apply(self, route, key: str, value, operation: Callable[[str], None]) -> None:
        operation(route.primary)
        self._served[route.primary].add()
        if route.secondary is not None:
            try:
                operation(route.secondary)
            except Exception as error:
                self._errors[route.secondary].add()
                self.on_secondary_failure(FailedWrite(key, route.secondary, value, error))
