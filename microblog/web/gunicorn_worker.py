"""gunicorn's sync worker, whose own error answers are problem+json like the app's."""

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

from .errors import PROBLEM_MIMETYPE, problem_document
from .head_limits import HEADER_FIELDS_DETAIL, REQUEST_LINE_DETAIL
from .json_text import json_bytes
from .security_headers import SECURITY_HEADERS

DETAILS = {414: REQUEST_LINE_DETAIL, 431: HEADER_FIELDS_DETAIL}


class ProblemSyncWorker(SyncWorker):
    """`worker_class = "microblog.web.gunicorn_worker.ProblemSyncWorker"` in gunicorn.conf.py."""

    def init_process(self):
        # gunicorn has no setting for its error page: handle_error writes every answer of its
        # own (request line or header fields over the limits, a malformed request) through
        # util.write_error, which sends text/html.
        util.write_error = write_problem
        super().init_process()


def write_problem(sock, status, reason, message):
    """gunicorn's error answer (status, reason phrase, message) as an RFC 9457 problem."""
    body = json_bytes(problem_document(status, DETAILS.get(status) or message))
    headers = {"Connection": "close", "Content-Type": PROBLEM_MIMETYPE, "Content-Length": len(body),
               **SECURITY_HEADERS}
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += "\r\n"
    util.write_nonblock(sock, head.encode("latin-1") + body)
