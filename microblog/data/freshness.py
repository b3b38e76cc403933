"""What dates a reader's view of the site: the change feed's newest entry, and the next
scheduled post to come due. Both read through prepared queries: they run on every public read."""
from peewee import fn

from .models import Change, Post
from .prepared import PreparedQuery

# by the highest seq, a lookup of the primary key (ORDER BY seq DESC LIMIT 1 is a SCAN to SQLite)
_last_change = PreparedQuery(lambda: Change.select(Change.seq, Change.at)
                             .where(Change.seq == Change.select(fn.MAX(Change.seq))).tuples())
_next_due = PreparedQuery(lambda now: Post.select(Post.publication_time)
                          .where(Post.shown(), Post.publication_time > now)
                          .order_by(Post.publication_time).limit(1).tuples(), now=Post.publication_time)


def last_change():
    """(seq, at) of the change feed's newest entry, as the driver gives them, or None. The time
    tells a database made anew, whose seqs start again, from the one it replaced."""
    return _last_change.first_raw_row()


def next_due(now):
    """The earliest publication time after `now` of a post shown to readers, or None."""
    found = next(iter(_next_due(now=now)), None)
    return found[0] if found else None
