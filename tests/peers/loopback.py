"""What every peer server shares: an HTTP server on a loopback address and a free port, each
request answered on a thread of its own by the peer's methods; start() it, stop() it."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """Listen on `host` and a free port; `answers` maps an HTTP method to the name of the peer's
    method that answers it, given the request handler (status, headers and body are the peer's to
    write). The name is looked up at each request, so a test may wrap the method later."""

    def __init__(self, host, answers):
        handler = type("Handler", (BaseHTTPRequestHandler,), {
            **{f"do_{method}": self._answering(name) for method, name in answers.items()},
            "log_message": lambda *_args: None})
        self.server = ThreadingHTTPServer((host, 0), handler)
        self.server.daemon_threads = True
        self.origin = f"http://{host}:{self.server.server_address[1]}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def read_body(request):
        """The request's body, or None when it ended before its Content-Length: a sender cut off
        mid-request (killed, say), whose request no server acts on."""
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        return body if len(body) == length else None

    def _answering(self, name):
        return lambda request: getattr(self, name)(request)
