"""The server's own limit: a raw WSGI callable (no Flask) returning the ceiling's constant JSON."""
BODY = b'{"service":"raw","status":"ok"}\n'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
