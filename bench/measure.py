"""One wrk run of one row against one server, and the check that its request gets the status expected."""
import os
import re
import secrets
import subprocess

from rows import request, write_body

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = 2


class Run:
    """A row's runs. A rotating row's run starts where its previous one stopped, so no path
    repeats within a row until its rotation is used up (`sent`: paths used so far)."""

    def __init__(self, row, workdir):
        self.row, self.sent, self.file = row, 0, None
        if row.paths:
            self.file = os.path.join(workdir, f"paths-{secrets.token_hex(4)}.txt")
            with open(self.file, "w") as out:
                out.write("\n".join(row.paths) + "\n")

    def wrk(self, url, duration, connections):
        """(requests/s, p50 latency in ms) of one run; RuntimeError on any error response."""
        threads = min(THREADS, connections)  # wrk needs a connection for each thread
        options = [option for name, value in self.row.headers.items() for option in ("-H", f"{name}: {value}")]
        tail = []
        if self.file:
            options += ["-s", os.path.join(HERE, "wrk", "rotate.lua")]
            tail = ["--", self.file, str(self.sent), str(threads), self.row.method, self.row.body]
        output = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *options,
             url + (self.row.path if not self.file else "/"), *tail],
            capture_output=True, text=True, check=True).stdout
        if re.search(r"Non-2xx or 3xx responses: (\d+)", output) or re.search(
                r"Socket errors:.*(read|write|timeout) [1-9]", output):
            raise RuntimeError(f"wrk saw errors on {url} {self.row.name}:\n{output}")
        if self.file:  # where the busiest wrk thread stopped: no path before it is asked again
            self.sent = int(re.search(r"rotate next: (\d+)", output).group(1))
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
        return rate, float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]


def check(url, row):
    """The first request wrk will send gets the status expected (a 304 is a 304, a create a 201)."""
    body = None if row.method == "GET" else write_body(row, f"A check before the run {secrets.token_hex(4)}.")
    path = row.paths[-1] if row.paths else row.path  # the rotation's last: wrk starts at its first
    status, _, response = request(url + path, row.method, row.headers, body)
    if status != row.expected:
        raise RuntimeError(f"{row.method} {url}{path}: {status}, not {row.expected}: {response[:300]!r}")
