"""Full-text search over posts: which posts match, and how well (a tier).

Words are runs of letters and digits, lowercased (`words`); a post is indexed by the words of
its title and of its content (`index_fields`, kept in post.search_title and search_body), and
a search finds the posts holding every word of the query, whole, on either backend alike. A
post whose title holds every word ranks in tier 2, any other match in tier 1. Tiers depend
only on the post, so keyset pages over them stay stable as posts are added.
"""
import re
from dataclasses import dataclass

from peewee import SQL, Case

from .db import is_sqlite
from .models import Post

WORD = re.compile(r"[^\W_]+")
TITLE_TIER, CONTENT_TIER = 2, 1
POSTGRESQL_WORDS = "string_to_array(search_title || ' ' || search_body, ' ')"  # indexed (v0006)


@dataclass(frozen=True)
class Search:
    match: object
    tier: object


def words(text):
    return WORD.findall(text.lower())


def index_fields(title, content):
    """The search columns of a post with this title and content."""
    return {"search_title": " ".join(words(title or "")), "search_body": " ".join(words(content))}


def search(text):
    """The match condition and tier expression for a search text, or None if it has no word."""
    found = list(dict.fromkeys(words(text)))
    if not found:
        return None
    match, in_title = _sqlite(found) if is_sqlite() else _postgresql(found)
    return Search(match=match, tier=Case(None, [(in_title, TITLE_TIER)], CONTENT_TIER))


def _sqlite(found):
    phrase = " ".join(f'"{word}"' for word in found)
    return _fts_match(phrase), _fts_match(f"search_title : ({phrase})")


def _fts_match(expression):
    return Post.id.in_(SQL("(SELECT rowid FROM post_search WHERE post_search MATCH ?)", [expression]))


def _postgresql(found):
    return (SQL(f"{POSTGRESQL_WORDS} @> %s::text[]", [found]),
            SQL("string_to_array(search_title, ' ') @> %s::text[]", [found]))
