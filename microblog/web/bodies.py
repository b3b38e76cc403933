"""Request bodies held to max_content_length however they are framed, and a 400 for a body whose
framing the server finds malformed."""
import sys

import flask
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class Request(flask.Request):
    """Flask's request, whose body without a Content-Length (chunked) is a 413 past the limit."""

    @cached_property
    def stream(self):
        """The body, at most max_content_length bytes. Werkzeug reads a body the server
        terminates (chunked) up to the limit and stops there without an error, which would
        hand the view the first max_content_length bytes of a larger body as if they were all."""
        limit = self.max_content_length
        source = FramingChecked(self.environ["wsgi.input"])
        if limit is not None and self.content_length is None and "wsgi.input_terminated" in self.environ:
            return CappedStream(source, limit)
        return get_input_stream({**self.environ, "wsgi.input": source}, max_content_length=limit)


MALFORMED_FRAMING = "The request body's chunked framing is malformed."


class FramingChecked:
    """The server's input stream, whose errors on a malformed body are a 400. gunicorn raises
    its ParseException (InvalidChunkSize for a chunk size such as `zz`, ChunkMissingTerminator
    for chunk data without its CRLF, InvalidHeader for bare-LF lines) as it reads the body,
    long after the head was parsed, where nothing but the app can answer; werkzeug already
    answers a body cut short (an OSError) with a 400, and granian closes such a connection."""

    def __init__(self, stream):
        self._stream = stream

    def read(self, *size):
        try:
            return self._stream.read(*size)
        except server_parse_errors():
            raise BadRequest(MALFORMED_FRAMING) from None

    def readline(self, *size):
        try:
            return self._stream.readline(*size)
        except server_parse_errors():
            raise BadRequest(MALFORMED_FRAMING) from None


def server_parse_errors():
    """gunicorn's ParseException when gunicorn serves this process (its parser imported it),
    else none: granian's workers need not import gunicorn to catch what it alone raises. An
    except clause evaluates this only when an exception is raised."""
    errors = sys.modules.get("gunicorn.http.errors")
    return errors.ParseException if errors is not None else ()


class CappedStream(LimitedStream):
    """A stream of unknown length that raises RequestEntityTooLarge once it goes past `limit`."""

    def __init__(self, stream, limit):
        # Reading one byte past the limit tells a body over it from a body exactly at it.
        super().__init__(stream, limit + 1, is_max=True)

    def readinto(self, buffer):
        size = super().readinto(buffer)
        if self.is_exhausted:
            raise RequestEntityTooLarge()
        return size
