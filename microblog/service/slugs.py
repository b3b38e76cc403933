"""Slugs: URL-safe names derived from a post's title or content."""
import re
import unicodedata

MAX_SLUG_WORDS_LENGTH = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text):
    """Lowercase ASCII words joined by hyphens, cut at a word boundary; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG_WORDS_LENGTH:
        slug = slug[:MAX_SLUG_WORDS_LENGTH].rsplit("-", 1)[0]
    return slug or "post"


def first_free(base, taken):
    """`base`, or `base-N` with the smallest N ≥ 2 not in `taken`."""
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"
