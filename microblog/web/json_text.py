"""The API's one JSON format, for every JSON answer (jsonify's, the API's, problem documents,
the JSON Feed): compact, keys sorted, UTF-8 as RFC 8259 asks (no \\u escapes), a newline at the
end (so that an answer printed in a terminal ends its line).

orjson writes it: a page of 20 posts in a tenth of the standard library's time, which was the
largest part of a list's answer after its SQL. Whatever orjson refuses (a string with a lone
surrogate, an integer beyond 64 bits) is written by the standard library instead, with its
non-ASCII escaped, as every answer was before."""
import json

import orjson
from flask.json.provider import DefaultJSONProvider

# datetimes, dataclasses and subclasses of str, dict and the rest go to `default` (and what it
# refuses to the standard library), as they did: Flask's writes a datetime as an HTTP date,
# Markup by its __html__, and a MultiDict is no plain dict to orjson's eyes
_OPTIONS = (orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_PASSTHROUGH_SUBCLASS)


def json_bytes(data, sort_keys=True, default=None):
    try:
        return orjson.dumps(data, default=default, option=_OPTIONS | (orjson.OPT_SORT_KEYS if sort_keys else 0))
    except orjson.JSONEncodeError:
        return (json.dumps(data, default=default, sort_keys=sort_keys, separators=(",", ":")) + "\n").encode()


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON answers (jsonify's, flask-smorest's) in that format, but in debug mode, where
    Flask indents them; Flask's other JSON (`tojson` in templates) is its own, unchanged."""

    def response(self, *args, **kwargs):
        if self.compact is False or self.compact is None and self._app.debug:
            return super().response(*args, **kwargs)
        body = json_bytes(self._prepare_response_obj(args, kwargs), self.sort_keys, self.default)
        return self._app.response_class(body, mimetype=self.mimetype)
