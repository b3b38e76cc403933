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


def search_terms(text):
    """The distinct words of a search text, in order (none: nothing to search for)."""
    return tuple(dict.fromkeys(words(text)))


def tier_values(terms, tier, after=None, newest=None, oldest=None):
    """The values of one tier's query (`tier_query`) for the words `terms`, after the (minute,
    id) key `after`; `newest` and `oldest` bound the publication times read from the index (to
    the minute), which the caller's query filters exactly. None for a value not needed."""
    if is_sqlite():
        phrase = " ".join(f'"{word}"' for word in terms)
        in_title = f"search_title : ({phrase})"
        below = [search_key(*after)] if after is not None else []
        if newest is not None:
            below.append(search_key(publication_minute(newest), ID_SPAN))
        return {"match": in_title if tier == TITLE_TIER else f"({phrase}) NOT ({in_title})",
                "below": min(below, default=None),  # one bound: FTS5 starts its range at the first `rowid <` only
                "lowest": search_key(publication_minute(oldest), 0) if oldest is not None else None}
    after_minute, after_id = after or (None, None)
    return {"terms": " ".join(terms), "after_minute": after_minute, "after_id": after_id,
            "newest": publication_minute(newest) if newest is not None else None,
            "oldest": publication_minute(oldest) if oldest is not None else None}


TIER_SLOTS = {"match": PostSearch.search_title, "below": None, "lowest": None, "terms": Post.search_title,
              "after_minute": Post.publication_time, "after_id": Post.id, "newest": Post.publication_time,
              "oldest": Post.publication_time}  # the fields that convert tier_values' values


def tier_query(query, tier, **values):
    """`query` (a select of posts) narrowed to this tier's matches in search order, with a
    `search_tier`, for tier_values' values (or PreparedQuery's markers in their place)."""
    if is_sqlite():
        query = _sqlite(query, **values)
    else:
        query = _postgresql(query, tier, **values)
    return query.select_extend(Value(tier).alias("search_tier"))


def _sqlite(query, match, below=None, lowest=None):
    key = PostSearch.rowid
    query = (query.join(PostSearch, on=(Post.id == key.bin_and(MAX_ID)))
             .where(Expression(PostSearch._meta.entity, "MATCH", match)))
    if below is not None:
        query = query.where(key < below)
    if lowest is not None:
        query = query.where(key >= lowest)
    return query.order_by(key.desc())


def _postgresql(query, tier, terms, after_minute=None, after_id=None, newest=None, oldest=None):
    found = "string_to_array(%s, ' ')"  # the words as one text parameter, GIN-searchable as an array
    in_title = SQL(f"{POSTGRESQL_TITLE_WORDS} @> {found}", [terms])
    minute = fn.date_trunc(SQL("'minute'"), Post.publication_time)  # literal, as the index has it
    query = query.where(SQL(f"{POSTGRESQL_WORDS} @> {found}", [terms]),
                        in_title if tier == TITLE_TIER else ~in_title)
    if after_minute is not None:
        query = query.where(Tuple(minute, Post.id) < Tuple(after_minute, after_id))
    if newest is not None:
        query = query.where(minute <= newest)
    if oldest is not None:
        query = query.where(minute >= oldest)
    return query.order_by(minute.desc(), Post.id.desc())
