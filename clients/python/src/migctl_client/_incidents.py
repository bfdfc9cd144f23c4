"""What the client tells an operator: each incident is one log line and one count of a
``client.*`` counter, the same names the Swift client uses, so a fleet's trouble shows on the
console whatever language its services are written in."""
from __future__ import annotations

import logging

REFRESH_ERROR = "client.refresh.error"
FLUSH_ERROR = "client.flush.error"
FLUSH_DROPPED = "client.flush.dropped"
COUNT_REFUSED = "client.count.refused"
FILE_CHANGED = "client.file.changed"
BAD_NAME = "client.bad-name"

WARNING, ERROR = logging.WARNING, logging.ERROR
