"""HTTP as a client on another machine would do it: one connection per request, from a
source address of the caller's choosing (each 127.x address looks like its own client)."""
import http.client
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    error: str = ""

    def json(self):
        return json.loads(self.body)

    def is_problem(self):
        return self.headers.get("content-type") == "application/problem+json"


def call(base, method, path, *, source=None, body=None, form=None, headers=None, token=None, timeout=15,
         data=None):
    """One request; `body` is sent as JSON, or as it is when it is bytes, `form` as a URL-encoded
    form, and `data` as it is (bytes with their own Content-Type in `headers`)."""
    host, port = base
    raw = isinstance(body, bytes)
    sent = {"Content-Type": "application/json"} if body is not None and not raw else {}
    if form is not None:
        sent = {"Content-Type": "application/x-www-form-urlencoded"}
        data = urlencode(form).encode()
    if token:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    if body is not None:
        data = body if raw else json.dumps(body).encode()
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, payload,
                      time.monotonic() - started)
    except (OSError, http.client.HTTPException) as error:
        return Answer(0, seconds=time.monotonic() - started, error=repr(error))
    finally:
        connection.close()


def login(base, username, password, source=None):
    answer = call(base, "POST", "/api/v1/auth/login", source=source,
                  body={"username": username, "password": password})
    if answer.status != 200:
        raise AssertionError(f"login through {base} answered {answer.status}: {answer.body[:300]!r}")
    return answer.json()
