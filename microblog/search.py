"""Full-text search expressions over posts: which posts match, and how well (a tier).

Words are runs of letters and digits; every word must occur (AND), case-insensitively, with
no stemming. A post whose title holds every word ranks in tier 2, any other match in tier 1.
Tiers depend only on the post itself, so keyset pages over them stay stable as posts are added.
"""
import re
from dataclasses import dataclass

from peewee import SQL, Case, NodeList, fn

from .db import is_sqlite
from .models import Post

WORD = re.compile(r"[^\W_]+")
TITLE_TIER, CONTENT_TIER = 2, 1
POSTGRESQL_DOCUMENT = SQL(  # the expression indexed by migration v0003
    "(setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', content), 'B'))"
)


@dataclass(frozen=True)
class Search:
    match: object
    tier: object


def words(text):
    return WORD.findall(text.lower())


def search(text):
    """The match condition and tier expression for a search text, or None if it has no word."""
    found = words(text)
    if not found:
        return None
    match, in_title = _sqlite(found) if is_sqlite() else _postgresql(found)
    return Search(match=match, tier=Case(None, [(in_title, TITLE_TIER)], CONTENT_TIER))


def _sqlite(found):
    phrase = " ".join(f'"{word}"' for word in found)
    return _fts_match(phrase), _fts_match(f"title : ({phrase})")


def _fts_match(expression):
    return Post.id.in_(SQL("(SELECT rowid FROM post_search WHERE post_search MATCH ?)", [expression]))


def _postgresql(found):
    query = fn.plainto_tsquery("simple", " ".join(found))
    title = fn.to_tsvector("simple", fn.coalesce(Post.title, ""))
    return NodeList((POSTGRESQL_DOCUMENT, SQL("@@"), query)), NodeList((title, SQL("@@"), query))
