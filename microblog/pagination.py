"""Keyset cursors: encode, decode, and the page body with its Link header."""
import base64
import binascii
import json
from datetime import datetime
from urllib.parse import urlencode

from flask import request
from werkzeug.exceptions import UnprocessableEntity

from .models import MAX_ID
from .service.posts import sort_key

def encode_cursor(key):
    time, post_id = key
    raw = json.dumps([time.isoformat(timespec="microseconds"), post_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The (publication_time, id) key in a cursor; 422 when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        time, post_id = json.loads(raw)
        if not isinstance(post_id, int) or isinstance(post_id, bool) or not 0 <= post_id <= MAX_ID:
            raise ValueError(post_id)
        moment = datetime.fromisoformat(time)
        if moment.tzinfo is not None:
            raise ValueError(time)
        return moment, post_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        error = UnprocessableEntity("The cursor is not valid; use next_cursor of a page.")
        error.data = {"messages": {"query": {"cursor": ["Not a valid cursor."]}}}
        raise error from None


def page_response(page):
    """The body `{items, next_cursor}` and, when there is a next page, its Link header."""
    if not page.has_more:
        return {"items": page.items, "next_cursor": None}, {}
    cursor = encode_cursor(sort_key(page.items[-1]))
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    url = f"{request.base_url}?{urlencode(params + [('cursor', cursor)])}"
    return {"items": page.items, "next_cursor": cursor}, {"Link": f'<{url}>; rel="next"'}
