"""Database errors a command reports to the operator; kept light so the CLI can catch them."""

from __future__ import annotations


class SchemaOutOfDate(RuntimeError):
    """The database is not at the revision this code needs."""

    def __init__(self, *, current: str | None, head: str | None) -> None:
        super().__init__(
            f"the database is at revision {current or '(empty)'} but this code needs {head}: "
            "run `killreport db upgrade`"
        )
        self.current = current
        self.head = head
