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

# datetimes and dataclasses go to `default`, as the standard library sends them (Flask's
# writes a datetime as an HTTP date, not as orjson would)
_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_bytes(data, sort_keys=True, default=None):
    try:
        return orjson.dumps(data, default=default, option=_OPTIONS | (orjson.OPT_SORT_KEYS if sort_keys else 0))
    except orjson.JSONEncodeError:
        return (json.dumps(data, default=default, sort_keys=sort_keys, separators=(",", ":")) + "\n").encode()


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON answers (jsonify's, flask-smorest's) in that format, but in debug mode, where
    Flask indents them; Flask's other JSON (`tojson` in templates) is its own, unchanged."""

    def response(self, *args, **kwargs):
        if self.compact is False or self.compact is None and self._app.debug:
            return super().response(*args, **kwargs)
        return self._app.response_class(json_bytes(_answered(args, kwargs), default=self.default),
                                         mimetype=self.mimetype)


def _answered(args, kwargs):
    """What app.json.response(*args, **kwargs) answers, as Flask reads its arguments."""
    if args and kwargs:
        raise TypeError("app.json.response() takes either args or kwargs, not both")
    if len(args) == 1:
        return args[0]
    return args or kwargs or None
