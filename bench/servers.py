"""The servers `make bench` starts: every one with the same worker count, on a free port."""
import contextlib
import os
import secrets
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from harness import all_workers_listen, free_port, start_process  # noqa: E402

UNLIMITED = "1000000000 per minute"  # the limiter still runs on every request; it never refuses


def workers():
    """gunicorn.conf.py's and `microblog serve`'s default: WEB_CONCURRENCY, else 2 × cores + 1."""
    return int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() * 2 + 1))


class Server:
    """A server process group: started, awaited until `probe` answers, stopped."""

    def __init__(self, name, kind, command, env, cwd, probe="/"):
        self.name, self.kind, self.port = name, kind, free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env, self.cwd, self.probe, self.process = env, cwd, probe, None
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        workers_named = int(self.command[self.command.index("--workers") + 1])
        ready = (lambda: all_workers_listen(self.port, workers_named)) if self.kind == "granian" else (lambda: True)
        self.process = start_process(self.command, self.env, self.cwd, self.url + self.probe, self.name, tries=400,
                                     ready=ready)
        return self

    def __exit__(self, *_exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=40)

    def worker_pids(self):
        """The worker processes (the master's children)."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in children.split()]

    def worker_rss_mb(self):
        """Resident memory of each worker process, in MB."""
        sizes = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
                sizes += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")]
        return [round(size, 1) for size in sizes]


def granian(name, target, env, cwd, probe="/"):
    """`target` on granian with `microblog serve`'s own settings (serve_same.py)."""
    return Server(name, "granian", [sys.executable, os.path.join(HERE, "serve_same.py"), target,
                                    "--port", "{port}", "--workers", str(workers())], env, cwd, probe)


def microblog_granian(env):
    """microblog as production runs it: `microblog serve`."""
    return Server("microblog", "granian", [f"{BIN}/microblog", "serve", "--workers", str(workers()),
                                           "--host", "127.0.0.1", "--port", "{port}"], env, ROOT, "/healthz")


def gunicorn(name, app, env, cwd, probe="/"):
    """`app` on gunicorn with gunicorn.conf.py (its access log discarded, as everywhere here)."""
    return Server(name, "gunicorn", [f"{BIN}/gunicorn", "--config", os.path.join(ROOT, "gunicorn.conf.py"),
                                     "--workers", str(workers()), "--bind", "127.0.0.1:{port}", app],
                  env, cwd, probe)


def peer(database):
    return Server("peer", "uvicorn", [f"{BIN}/uvicorn", "app:app", "--port", "{port}", "--workers", str(workers()),
                                      "--no-access-log", "--log-level", "warning"],
                  {**os.environ, "PEER_DATABASE": database}, os.path.join(HERE, "peer"), "/api/v1/posts")


def service_env(database):
    return {**os.environ, "MICROBLOG_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{database}", "RATELIMIT_READS": UNLIMITED,
            "RATELIMIT_WRITES": UNLIMITED}
