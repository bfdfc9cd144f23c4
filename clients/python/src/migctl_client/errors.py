"""The one error the client raises: when it cannot start (no readable state), or when asked to
do what the contract refuses. Once running, it never raises into the application because of
the control store: it keeps its last state and counts what went wrong."""
from __future__ import annotations


class MigctlClientError(Exception):
    """The control store could not be opened or read, or holds what this client cannot follow.

    The message is one sentence saying what is wrong and what to do next.
    """
