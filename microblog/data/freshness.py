"""What dates a reader's view of the site: a value that changes with every committed write,
and the next scheduled post to come due. Both run on every public read.

On SQLite (a database file), the value is `PRAGMA data_version` on a connection kept for it
alone, which never writes: SQLite changes it whenever any other connection, of this process or
another, commits to the file; it costs no query of a table. Elsewhere (PostgreSQL) it is the
change feed's newest entry, read through a prepared query: every change readers could see
writes one there in its own transaction (service/history.py)."""
import itertools
import os
import sqlite3
import threading
import time
import weakref

from peewee import SqliteDatabase, fn

from .db import SQLITE_BUSY_TIMEOUT_MS, database
from .models import Change, Post
from .prepared import PreparedQuery

FILE_CHECK_SECONDS = 1.0  # how often a CommitCounter looks whether its path still names its file

# by the highest seq, a lookup of the primary key (ORDER BY seq DESC LIMIT 1 is a SCAN to SQLite)
_last_change = PreparedQuery(lambda: Change.select(Change.seq, Change.at)
                             .where(Change.seq == Change.select(fn.MAX(Change.seq))).tuples())
_next_due = PreparedQuery(lambda now: Post.select(Post.publication_time)
                          .where(Post.shown(), Post.publication_time > now)
                          .order_by(Post.publication_time).limit(1).tuples(), now=Post.publication_time)


def version():
    """A value that differs after every committed change readers could see."""
    found = commit_count(database.obj)
    return last_change() if found is None else found


def commit_count(db):
    """version() of a database that gives it without a query (a SQLite file), else None."""
    counter = CommitCounter.of(db) if isinstance(db, SqliteDatabase) else None
    return counter and counter.version()


def last_change():
    """(seq, at) of the change feed's newest entry, as the driver gives them, or None. The time
    tells a database made anew, whose seqs start again, from the one it replaced."""
    return _last_change.first_raw_row()


def next_due(now):
    """The earliest publication time after `now` of a post shown to readers, or None."""
    found = next(iter(_next_due(now=now)), None)
    return found[0] if found else None


_due_after = weakref.WeakKeyDictionary()  # database → (version, moment, next_due(moment))


def next_due_at(version, now):
    """next_due(now), remembered per database while `version` holds: no publication time
    changes then, so the earliest after an earlier moment stays the earliest after `now` until
    it is reached."""
    db = database.obj
    known = _due_after.get(db)
    if known is not None and known[0] == version and known[1] <= now and (known[2] is None or now < known[2]):
        return known[2]
    due = next_due(now)
    _due_after[db] = version, now, due
    return due


class CommitCounter:
    """`PRAGMA data_version` of one SQLite file, on a connection of this process kept for it.

    A value is (the connection's number, its data_version): a connection opened anew (in a new
    process, or for a file replaced on disk, which the old connection would never see change)
    starts counting again, and its number keeps its values apart from the old one's.

    Whether the path still names the file is looked at once every FILE_CHECK_SECONDS, not on
    every read (the stat cost half as much as the pragma): a file replaced behind the app's
    back is an edit behind its back, which readers may see as late as CACHE_MAX_AGE allows."""

    _of_database = weakref.WeakKeyDictionary()  # the counter goes (and its connection closes) with its database
    _numbers, _lock = itertools.count(1), threading.Lock()

    @classmethod
    def of(cls, db):
        """The counter of a database's file; None for a database no second connection can see (in memory)."""
        counter = cls._of_database.get(db)
        if counter is None:
            path = db.database
            if not path or path == ":memory:" or path.startswith("file:"):
                return None
            with cls._lock:
                counter = cls._of_database.setdefault(db, cls(path))
        return counter

    def __init__(self, path):
        self.path, self._lock = path, threading.Lock()
        self._connection = self._inherited = self._file = self._pid = self._number = None
        self._file_checked_until = 0.0

    def version(self):
        """(number, data_version); None if the file cannot be read so (the caller asks the change feed)."""
        try:
            now, pid = time.monotonic(), os.getpid()
            with self._lock:
                if now >= self._file_checked_until or self._pid != pid:
                    stat = os.stat(self.path)
                    if self._pid != pid or self._file != (stat.st_dev, stat.st_ino):
                        self._open((stat.st_dev, stat.st_ino))
                    self._file_checked_until = now + FILE_CHECK_SECONDS
                return self._number, self._connection.execute("PRAGMA data_version").fetchone()[0]
        except (OSError, sqlite3.Error):
            self._file, self._file_checked_until = None, 0.0  # opened anew next time
            return None

    def _open(self, file):
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        elif self._connection is not None:
            self._inherited = self._connection  # a parent's: closing it in a child is not safe (SQLite's rule)
        self._connection = sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                                           isolation_level=None, check_same_thread=False)
        self._file, self._pid, self._number = file, os.getpid(), next(self._numbers)
