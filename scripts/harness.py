"""Shared by the hardening scripts (and bench/run.py): a database and a real server of microblog on it."""
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
ADMIN = ("admin", "hardening passphrase")
# Past microblog.web.serve's workers' kill timeout (10 s) and gunicorn's graceful timeout (30 s).
STOP_SECONDS = 35


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_process(command, env, cwd, probe_url, name, tries=200, ready=lambda: True):
    """`command` started in a process group of its own, once `probe_url` answers and `ready()`
    holds (every 50 ms, `tries` times; then the group is stopped and RuntimeError raised)."""
    process = subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(tries):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(probe_url, timeout=1)
            if ready():
                return process
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    raise RuntimeError(f"{name} did not become healthy")


def all_workers_listen(port, workers):
    """Whether each of a granian server's workers listens yet: each has a socket of its own, and
    the first to answer may be the only one (a test that killed it would find the port closed
    until another came up)."""
    return listening_sockets(port) >= workers


def server_env(database_url, **settings):
    """Production settings on `database_url` (TEST_DATABASE_URL or a new SQLite file)."""
    env = {**os.environ, "MICROBLOG_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": database_url, "ADMIN_USERNAME": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1],
           "RATELIMIT_ENABLED": "false"}
    env.update({name: str(value) for name, value in settings.items()})
    return env


def database_url():
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/microblog.sqlite3"


def init_db(env):
    subprocess.run([f"{BIN}/flask", "--app", "microblog", "init-db"], env=env, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)


def server(env, workers, kind=None):
    """A server of `kind`, else the one named by MICROBLOG_SERVER: granian (production's, the
    default) or gunicorn."""
    kinds = {"gunicorn": Gunicorn, "granian": Granian}
    return kinds[kind or os.environ.get("MICROBLOG_SERVER", "granian")](env, workers)


class Gunicorn:
    """gunicorn with the production config; start(), kill() (SIGKILL to the whole group)."""

    def __init__(self, env, workers):
        self.env, self.workers, self.port, self.process = env, workers, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def command(self):
        return [f"{BIN}/gunicorn", "--config", "gunicorn.conf.py", "--workers", str(self.workers),
                "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--access-logfile",
                "/dev/null", "--error-logfile", "/dev/null", "wsgi:app"]

    def start(self):
        self.process = start_process(self.command(), self.env, ROOT, f"{self.url}/healthz", type(self).__name__,
                                     ready=self.ready)
        return self

    def ready(self):
        """Whether every worker takes connections, once /healthz answers: gunicorn's workers
        share the master's socket, so they do."""
        return True

    def kill(self):
        """kill -9 the master and every worker at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """SIGTERM to the server (it stops its own workers), SIGKILL to the group if it is still
        there after STOP_SECONDS."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # a worker left behind

    def worker_pids(self):
        """The server's worker processes (children of the main one)."""
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as children:
            return [int(pid) for pid in children.read().split()]


class Granian(Gunicorn):
    """microblog's production entry point, `microblog serve` (granian), as many workers."""

    def command(self):
        return [f"{BIN}/microblog", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers)]

    def ready(self):
        return all_workers_listen(self.port, self.workers)


def listening_sockets(port):
    """How many sockets listen on 127.0.0.1:`port` (from /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[1] == local and row[3] == "0A")  # 0A: LISTEN


def login(session, url, password=ADMIN[1]):
    response = session.post(f"{url}/api/v1/auth/login", json={"username": ADMIN[0], "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
