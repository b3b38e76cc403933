"""Keyset cursors: encode, decode, and the page body with its Link header."""
import base64
import binascii
import json
from datetime import datetime

from flask import request

from ..data.models import MAX_ID
from ..data.search import CONTENT_TIER, TITLE_TIER
from . import urls

MAX_CURSOR_LENGTH = 200


def encode_cursor(key):
    """An opaque token for a sort key: (publication_time, id), or (tier, minute, id) in search."""
    parts = [part.isoformat(timespec="microseconds") if isinstance(part, datetime) else part
             for part in key]
    raw = json.dumps(parts, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, searching):
    """The sort key in a cursor, of the shape a search (or a plain list) uses; ValueError if not."""
    try:
        parts = _parts(cursor)
        if searching:
            tier, time, post_id = parts
            if tier not in (CONTENT_TIER, TITLE_TIER) or isinstance(tier, bool):
                raise ValueError(tier)
        else:
            time, post_id = parts
        moment = datetime.fromisoformat(time)
        if moment.tzinfo is not None or not _is_id(post_id):
            raise ValueError(parts)
    except (TypeError, RecursionError, binascii.Error) as exc:
        raise ValueError(cursor) from exc
    return (tier, moment, post_id) if searching else (moment, post_id)


def decode_id_cursor(cursor):
    """The (id,) key in a cursor of a list ordered by id alone; ValueError if not."""
    try:
        parts = _parts(cursor)
        if not isinstance(parts, list) or len(parts) != 1 or not _is_id(parts[0]):
            raise ValueError(parts)
    except (TypeError, RecursionError, binascii.Error) as exc:
        raise ValueError(cursor) from exc
    return tuple(parts)


def _parts(cursor):
    """The JSON list a cursor encodes."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError("too long")
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def page_response(page):
    """The body `{items, next_cursor}` and, when there is a next page, its Link header."""
    if page.next_key is None:
        return {"items": page.items, "next_cursor": None}, {}
    cursor = encode_cursor(page.next_key)
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    url = urls.next_page(params + [("cursor", cursor)])
    return {"items": page.items, "next_cursor": cursor}, {"Link": f'<{url}>; rel="next"'}
