"""Import records read and prepared before any lock, kept on disk in batches until written."""
import pickle
import tempfile

from ..data.search import index_fields
from .content import render, sanitize_html, searched_text

BATCH = 500  # records written at a time (SQLite allows 32,766 bound values a statement)
BATCH_OF = {"media": 4}  # but images, of up to MAX_MEDIA_BYTES each


def prepare(kind, fields):
    """The record as it will be stored: a post's HTML rendered again (never the file's), its
    search words and its reading-order time computed, a mention's HTML sanitized again, all
    outside the write transaction."""
    if kind == "mention":
        return {**fields, "content_html": sanitize_html(fields["content_html"])}
    if kind != "post":
        return fields
    fields = dict(fields)
    fields["content_html"] = render(fields["content"], fields["content_format"])
    fields.update(index_fields(fields["title"], searched_text(fields["content"], fields["content_format"])))
    fields["publication_time"] = fields["publish_at"] or fields["created"]
    return fields


class RecordSpool:
    """(kind, fields) records, prepared, in a temporary file: runs of one kind, up to BATCH
    records each, so that reading them back holds one batch in memory at a time."""

    def __init__(self):
        self._file = tempfile.TemporaryFile()
        self._kind, self._batch = None, []

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self._file.close()

    def fill(self, records):
        """Every record, prepared; a record that fails validation stops here, before any write."""
        for kind, fields in records:
            if kind != self._kind or len(self._batch) == BATCH_OF.get(kind, BATCH):
                self._flush()
                self._kind = kind
            self._batch.append(prepare(kind, fields))
        self._flush()
        return self

    def batches(self):
        """(kind, [fields, …]) in the order the records came."""
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def _flush(self):
        if self._batch:
            pickle.dump((self._kind, self._batch), self._file, pickle.HIGHEST_PROTOCOL)
            self._batch = []
