"""Request bodies held to max_content_length however they are framed."""
import flask
from werkzeug.exceptions import RequestEntityTooLarge
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
        if limit is not None and self.content_length is None and "wsgi.input_terminated" in self.environ:
            return CappedStream(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)


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
