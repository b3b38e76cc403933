"""SQLite's writers' lock taken by polling in short steps, so that a waiting writer has it soon
after the writer before it lets go.

SQLite's own busy handler (busy_timeout) sleeps 1, 2, 5, 10 … 100 ms between tries, so under a
steady stream of writes the lock stands idle while the next writer sleeps past its release.
Here BEGIN IMMEDIATE is tried again after 50 µs, then twice as long each time up to 1 ms, within
the same deadline as busy_timeout's; busy_timeout itself stays the handler of every other
statement. One thread of a process polls at a time (the others wait on a threading lock, woken
at once when it has the lock), so that waiting writers cost little CPU and GIL time."""
import sqlite3
import threading
import time

from peewee import OperationalError, __exception_wrapper__
from playhouse.pool import PooledSqliteDatabase

FIRST_PAUSE_SECONDS = 0.00005
LONGEST_PAUSE_SECONDS = 0.001


class PooledSqliteWriters(PooledSqliteDatabase):
    """A pooled SQLite database whose BEGIN IMMEDIATE waits for the writers' lock by polling,
    `busy_timeout_ms` at most, then fails as SQLite's busy handler would ("database is locked")."""

    def __init__(self, *args, busy_timeout_ms, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy_timeout_ms = busy_timeout_ms
        self.poller = threading.Lock()

    def begin(self, lock_type=None):
        if (lock_type or self._lock_type) != "IMMEDIATE":
            return super().begin(lock_type)
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        if not self.poller.acquire(timeout=self.busy_timeout_ms / 1000):
            raise OperationalError("database is locked")
        try:
            return self._begin_immediate(deadline)
        finally:
            self.poller.release()

    def _begin_immediate(self, deadline):
        cursor = self.cursor()
        with __exception_wrapper__:  # the driver's errors as peewee's, as its own begin gives them
            cursor.execute("PRAGMA busy_timeout = 0")
            try:
                pause = FIRST_PAUSE_SECONDS
                while True:
                    try:
                        cursor.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as error:
                        busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # its extended codes too
                        if not busy or time.monotonic() + pause > deadline:
                            raise
                    time.sleep(pause)
                    pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
