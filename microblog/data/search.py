"""Full-text search over posts: which posts match, in which tier, and in what order.

Words are runs of letters and digits, lowercased (`words`); a post is indexed by the words of
its title and of its content (`index_fields`, kept in post.search_title and search_body), and
a search finds the posts holding every word of the query, whole, on either backend alike. A
post whose title holds every word ranks in tier 2, any other match in tier 1. Within a tier,
posts come newest first by the minute of publication, then by id (the later created first).

Each tier is read in that order straight from an index, so a page reads about its own rows
however many posts match: SQLite's FTS5 rowid is the post's `search_key`, and PostgreSQL walks
an index on (the minute of publication, id), or, for rare words, collects the few matches
through its GIN index (its planner chooses). Tiers and keys depend only on the post, so keyset
pages over them stay stable as posts are added.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import SQL, Expression, Tuple, Value, fn

from .db import is_sqlite
from .models import MAX_ID, Post, PostSearch

WORD = re.compile(r"[^\W_]+")
TITLE_TIER, CONTENT_TIER = 2, 1
TIERS = (TITLE_TIER, CONTENT_TIER)  # best first
EPOCH = datetime(1970, 1, 1)
ID_SPAN = MAX_ID + 1  # ids take the low 31 bits of a search key
POSTGRESQL_WORDS = "string_to_array(search_title || ' ' || search_body, ' ')"  # GIN-indexed (v0006)
POSTGRESQL_TITLE_WORDS = "string_to_array(search_title, ' ')"


def words(text):
    return WORD.findall(text.lower())


def index_fields(title, content):
    """The search columns of a post with this title and content."""
    return {"search_title": " ".join(words(title or "")), "search_body": " ".join(words(content))}


def publication_minute(moment):
    return moment.replace(second=0, microsecond=0)


def search_key(minute, post_id):
    """One integer in search order: minutes since 1970 (negative before), then the id. Years 1
    to 9999 lie within 2**32 minutes of 1970, so every key fits a signed 64-bit rowid."""
    return (minute - EPOCH) // timedelta(minutes=1) * ID_SPAN + post_id


def sort_key(post):
    """A search result's keyset position: (tier, minute of publication, id)."""
    return post.search_tier, publication_minute(post.publication_time), post.id


def search(text):
    """The search for the words of `text`, or None if it has none."""
    found = tuple(dict.fromkeys(words(text)))
    return Search(found) if found else None


@dataclass(frozen=True)
class Search:
    words: tuple

    def tier(self, query, tier, after=None, newest=None, oldest=None):
        """`query` (a select of posts) narrowed to this tier's matches after the (minute, id)
        key `after`, in search order, with a `search_tier`. `newest` and `oldest` bound the
        publication times read from the index (to the minute); the query filters them exactly."""
        if is_sqlite():
            query = self._sqlite(query, tier, after, newest, oldest)
        else:
            query = self._postgresql(query, tier, after, newest, oldest)
        return query.select_extend(Value(tier).alias("search_tier"))

    def _sqlite(self, query, tier, after, newest, oldest):
        phrase = " ".join(f'"{word}"' for word in self.words)
        in_title = f"search_title : ({phrase})"
        expression = in_title if tier == TITLE_TIER else f"({phrase}) NOT ({in_title})"
        key = PostSearch.rowid
        query = (query.join(PostSearch, on=(Post.id == key.bin_and(MAX_ID)))
                 .where(Expression(PostSearch._meta.entity, "MATCH", expression)))
        below = [search_key(*after)] if after is not None else []
        if newest is not None:
            below.append(search_key(publication_minute(newest), ID_SPAN))
        if below:  # one bound: FTS5 starts its range at the first `rowid <` only
            query = query.where(key < min(below))
        if oldest is not None:
            query = query.where(key >= search_key(publication_minute(oldest), 0))
        return query.order_by(key.desc())

    def _postgresql(self, query, tier, after, newest, oldest):
        found = list(self.words)
        in_title = SQL(f"{POSTGRESQL_TITLE_WORDS} @> %s::text[]", [found])
        minute = fn.date_trunc(SQL("'minute'"), Post.publication_time)  # literal, as the index has it
        query = query.where(SQL(f"{POSTGRESQL_WORDS} @> %s::text[]", [found]),
                            in_title if tier == TITLE_TIER else ~in_title)
        if after is not None:
            query = query.where(Tuple(minute, Post.id) < Tuple(*after))
        if newest is not None:
            query = query.where(minute <= publication_minute(newest))
        if oldest is not None:
            query = query.where(minute >= publication_minute(oldest))
        return query.order_by(minute.desc(), Post.id.desc())
