"""migctl's client library for Python services: route each key by the migration's phase from
memory, count events cheaply, report to the fleet, and run the phase semantics (``Migrator``,
``Backfill``, ``Verifier``), on a SQLite control database or a PostgreSQL control store.

    from migctl_client import Client, Migrator

    with Client("/srv/migctl.db") as client:           # or "postgresql://svc@db/ops?schema=users_v2"
        route = client.route("user-42")                # memory only: phase, position, reads, primary, secondary
        client.counter("hit").add()                    # flushed once a second with the heartbeat
"""
from ._bucketing import ACCELERATED, InvalidKey, bucket
from ._client import Client
from ._flush import CARRIED_NAMES_LIMIT
from ._counter import Counter
from ._model import Phase, Route, Snapshot
from .backfill import Backfill
from .errors import MigctlClientError, ScanOrderError
from . import names
from .migrator import FailedWrite, Migrator, NewStore, OldStore, Stored
from .verify import Verifier

__all__ = ["names", "ACCELERATED", "Backfill", "CARRIED_NAMES_LIMIT", "Client", "Counter", "FailedWrite", "InvalidKey",
           "MigctlClientError", "Migrator", "NewStore", "OldStore", "Phase", "Route", "ScanOrderError", "Snapshot", "Stored", "Verifier", "bucket"]
__version__ = "0.2.0"
