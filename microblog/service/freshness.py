"""When what readers see can change. Every change the admin makes that readers could see is
in the change feed (history.record_change, in the change's own transaction), and otherwise
only time changes it, when a scheduled post comes due."""
from ..data import freshness


def reader_version():
    """A value that differs after every committed change readers could see."""
    return freshness.version()


def reader_version_without_query(db):
    """reader_version() when the database gives it without a query (a SQLite file), else None."""
    return freshness.commit_count(db)


def unchanged_until(version, now):
    """When what readers see at `now`, as of reader version `version` (read before), changes
    next without a write (None: not by time alone)."""
    return freshness.next_due_at(version, now)
