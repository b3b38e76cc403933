"""The cluster's parts as real processes on loopback addresses: PostgreSQL, Redis, app hosts
under `microblog serve`, HAProxy. Every process starts in a session of its own and is
recorded in a Teardown, which kills each group it started (and only those) and removes the
temporary folder, whatever happened."""
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_port(address):
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} within {seconds} s")


class Teardown:
    """Process groups and a folder to remove at the end."""

    def __init__(self):
        self.folder = __import__("tempfile").mkdtemp(prefix="microblog-cluster-")
        os.chmod(self.folder, 0o755)
        self.groups = []

    def spawn(self, command, log_name, **kwargs):
        log = open(os.path.join(self.folder, log_name), "ab")
        process = subprocess.Popen(command, start_new_session=True, stdout=log, stderr=log, **kwargs)
        log.close()
        self.groups.append(process)
        return process

    def kill(self, process):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def close(self, keep_logs_on=None):
        for process in reversed(self.groups):
            self.kill(process)
        if keep_logs_on is not None:
            for path in sorted(glob.glob(os.path.join(self.folder, "*.log"))):
                with open(path, errors="replace") as log:
                    tail = log.read()[-3000:]
                print(f"--- {os.path.basename(path)} (end) ---\n{tail}", file=keep_logs_on)
        shutil.rmtree(self.folder, ignore_errors=True)


class Postgres:
    """A throwaway PostgreSQL server on `address` (run as the postgres user when root)."""

    def __init__(self, teardown, address):
        self.teardown, self.address, self.port = teardown, address, free_port(address)
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.data = os.path.join(teardown.folder, "pgdata")
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgresql://postgres@{address}:{self.port}/postgres"
        self.process = None

    def init(self):
        os.makedirs(self.data, mode=0o700)
        if self.as_owner:
            shutil.chown(self.data, "postgres", "postgres")
        subprocess.run([*self.as_owner, f"{self.bin}/initdb", "-D", self.data, "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
        return self

    def start(self):
        """Start in the foreground (its group is ours to kill), once it accepts connections."""
        self.process = self.teardown.spawn(
            [*self.as_owner, f"{self.bin}/postgres", "-D", self.data, "-p", str(self.port),
             "-k", self.data, "-c", f"listen_addresses={self.address}", "-c", "fsync=off",
             "-c", "max_connections=100"], "postgres.log")
        wait_until(self.accepts, 20, "PostgreSQL did not start")
        return self

    def accepts(self):
        with socket.create_connection((self.address, self.port), timeout=0.5):
            pass
        return subprocess.run([f"{self.bin}/pg_isready", "-q", "-U", "postgres", "-h", self.address, "-p", str(self.port)],
                              check=False).returncode == 0

    def stop(self):
        """A fast shutdown (SIGINT to the postmaster): sessions are ended, the server exits."""
        with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
            os.kill(int(pid_file.readline()), signal.SIGINT)
        self.process.wait(timeout=20)


class Redis:
    def __init__(self, teardown, address):
        self.teardown, self.address, self.port = teardown, address, free_port(address)
        self.uri = f"redis://{address}:{self.port}/0"
        self.process = None

    def start(self):
        self.process = self.teardown.spawn(
            ["redis-server", "--bind", self.address, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", self.teardown.folder], "redis.log")
        wait_until(lambda: socket.create_connection((self.address, self.port), timeout=0.5).close() or True,
                   10, "Redis did not start")
        return self

    def stop(self):
        self.teardown.kill(self.process)


class AppHost:
    """One microblog host: `microblog serve` on its own address, production settings."""

    def __init__(self, teardown, name, address, env, bin_dir, workers=2):
        self.teardown, self.name, self.address = teardown, name, address
        self.port, self.env, self.bin_dir, self.workers = free_port(address), env, bin_dir, workers
        self.process = None

    @property
    def base(self):
        return self.address, self.port

    def start(self):
        self.process = self.teardown.spawn(
            [f"{self.bin_dir}/microblog", "serve", "--host", self.address, "--port", str(self.port),
             "--workers", str(self.workers)], f"{self.name}.log", env=self.env, cwd=ROOT)
        wait_until(self.healthy, 30, f"{self.name} did not become healthy")
        return self

    def healthy(self):
        url = f"http://{self.address}:{self.port}/healthz"
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200

    def kill(self):
        """kill -9 the server and its workers at once, as a crash of the machine's service."""
        self.teardown.kill(self.process)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        finally:
            self.teardown.kill(self.process)

    def log(self):
        with open(os.path.join(self.teardown.folder, f"{self.name}.log"), errors="replace") as log:
            return log.read()


class HAProxy:
    """cluster/haproxy.cfg in the foreground, its stats socket in the temporary folder."""

    def __init__(self, teardown, address, hosts):
        self.teardown, self.address, self.port = teardown, address, free_port(address)
        self.socket = os.path.join(teardown.folder, "haproxy.sock")
        self.env = {**os.environ, "MB_BIND": f"{address}:{self.port}", "MB_STATS_SOCKET": self.socket,
                    **{f"MB_APP{i}": f"{h.address}:{h.port}" for i, h in enumerate(hosts, 1)}}
        self.process = None

    @property
    def base(self):
        return self.address, self.port

    def start(self):
        subprocess.run(["haproxy", "-c", "-q", "-f", "haproxy.cfg"], env=self.env, cwd=HERE, check=True)
        self.process = self.teardown.spawn(["haproxy", "-db", "-f", "haproxy.cfg"], "haproxy.log",
                                           env=self.env, cwd=HERE)
        wait_until(lambda: set(self.states().values()) == {"UP"}, 20, "HAProxy did not see every host UP")
        return self

    def stats(self):
        """{server name: row of `show stat`} for the hosts' backend."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(self.socket)
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:] if line]
        return {row["svname"]: row for row in rows if row["pxname"] == "hosts" and row["svname"].startswith("app")}

    def states(self):
        return {name: row["status"].split()[0] for name, row in self.stats().items()}

    def sessions(self):
        """Requests (sessions) each host has been sent so far."""
        return {name: int(row["stot"]) for name, row in self.stats().items()}
