"""Query arguments of the list endpoints as the service's PostFilter."""
from ...service.posts import PostFilter
from ..pagination import decode_cursor


def post_filter(args):
    """Turn validated list arguments into a PostFilter (the cursor decoded)."""
    fields = dict(args)
    cursor = fields.pop("cursor", None)
    after = decode_cursor(cursor, searching="q" in fields) if cursor else None
    return PostFilter(after=after, **fields)
