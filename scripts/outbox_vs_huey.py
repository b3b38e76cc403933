"""The outbox measured against huey (3.5.4, Peewee's author's task queue, its SqlHuey storage on
the same SQLite database), for docs/outbox.md: does an enqueue share the change's transaction,
what it adds to a post's write, what a consumer killed mid-batch loses, and how long a
delivery waits after its commit when the queue was idle.

huey is not one of microblog's requirements; put it beside the project's virtualenv:
    pip install --target /tmp/hueylib --no-deps huey==3.5.4
    PYTHONPATH=/tmp/hueylib .venv/bin/python scripts/outbox_vs_huey.py
"""
import importlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from microblog import create_app  # noqa: E402
from microblog.data import migrations  # noqa: E402
from microblog.data.db import write_transaction  # noqa: E402
from microblog.data.models import Delivery  # noqa: E402
from microblog.service import posts  # noqa: E402
from scripts import harness  # noqa: E402

WRITES = 100  # posts a round
ROUNDS = 5
BATCH = 21  # deliveries (or tasks) in the kill -9 run
SLOW = 0.3  # seconds the receiver takes per request in the kill -9 run
LATENCY_SAMPLES = 4
IDLE_BEFORE = 12  # seconds of an empty queue before each latency sample (huey backs off to 10 s)
DELIVERY_ID = "Microblog-Delivery-Id"


class Receiver:
    """Counts POSTs by the id they carry; each answer takes `delay` seconds."""

    def __init__(self):
        self.seen, self.times, self.delay = [], {}, 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                uid = self.headers.get(DELIVERY_ID)
                receiver.seen.append(uid)
                receiver.times.setdefault(uid, time.time())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.3", 0), Handler)
        self.url = f"http://127.0.0.3:{self.server.server_address[1]}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


HUEY_TASKS = """
import time
import urllib.request
from peewee import SqliteDatabase
from huey.contrib.sql_huey import SqlHuey

huey = SqlHuey(database=SqliteDatabase({path!r}, pragmas={{"journal_mode": "wal", "busy_timeout": 5000}}))


@huey.task()
def ping(uid, slow=0.0):
    time.sleep(slow)  # a slow name lookup, connect or TLS handshake: the request is not sent yet
    request = urllib.request.Request({url!r}, data=b"hub.mode=publish", method="POST",
                                     headers={{{header!r}: uid}})
    urllib.request.urlopen(request, timeout=5).read()
"""


def huey_module(folder, name, url):
    """A module `name` of huey tasks on its own SQLite file in `folder`, imported."""
    with open(os.path.join(folder, f"{name}.py"), "w") as module:
        module.write(HUEY_TASKS.format(path=os.path.join(folder, f"{name}.sqlite3"), url=url, header=DELIVERY_ID))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def huey_consumer(folder, module, workers=4):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", f"{module.__name__}.huey", "-w", str(workers),
                             "-k", "thread"], cwd=folder, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def microblog_app(database_url, hub=None):
    app = create_app({"TESTING": True, "MICROBLOG_ENV": "testing", "SECRET_KEY": "s" * 40,
                      "DATABASE_URL": database_url, "WEBSUB_HUB": hub, "PUBLIC_BASE_URL": "http://blog.test/"})
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
    return app


def microblog_worker(database_url, **settings):
    env = harness.server_env(database_url, PUBLIC_BASE_URL="http://blog.test/", OUTBOUND_ALLOW_LOOPBACK="true",
                             **settings)
    return subprocess.Popen([f"{harness.BIN}/flask", "--app", "microblog", "worker"], env=env, cwd=harness.ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)


def transactional(folder, receiver):
    """A change rolled back after its delivery was written: outbox rows left, and huey tasks left
    when huey's SqlStorage shares microblog's own Peewee database (so its connection and
    transaction); and what huey's SqliteStorage, with a connection of its own to the same file,
    does inside microblog's write transaction."""
    from huey.contrib.sql_huey import SqlStorage
    from huey.storage import SqliteStorage

    path = f"{folder}/tx.sqlite3"
    app = microblog_app(f"sqlite:///{path}", receiver.url)
    with app.app_context():
        shared = SqlStorage(name="tx", database=app.extensions["database"])
        for _ in range(2):
            try:
                with write_transaction():
                    posts.create_post({"content": "rolled back"})
                    shared.enqueue(b"ping")
                    raise RuntimeError
            except RuntimeError:
                pass
        left = Delivery.select().count(), shared.queue_size()
        own = SqliteStorage(name="own", filename=path)
        started = time.monotonic()
        try:
            with write_transaction():
                posts.create_post({"content": "committed"})
                own.enqueue(b"ping")
            outcome = "enqueued"
        except Exception as error:  # noqa: BLE001 (the outcome is what is measured)
            outcome = f"{type(error).__name__}: {error}"
        return left, (outcome, time.monotonic() - started)


def write_cost(folder, receiver):
    """Microseconds per post write: alone, with its 3 outbox rows, with 3 huey tasks instead;
    the three in turn, ROUNDS times, each round's mean, the median of those."""
    from huey.contrib.sql_huey import SqlStorage

    variants = {}
    for name in ("post alone", "post + outbox (3 pings)", "post + 3 huey tasks"):
        app = microblog_app(f"sqlite:///{folder}/cost-{len(variants)}.sqlite3", receiver.url if "outbox" in name else None)
        with app.app_context():
            storage = SqlStorage(name="w", database=app.extensions["database"]) if "huey" in name else None
        variants[name] = (app, storage)
    rounds = {name: [] for name in variants}
    for round_number in range(ROUNDS):
        for name, (app, storage) in variants.items():
            with app.app_context():
                started = time.perf_counter()
                for n in range(WRITES):
                    with write_transaction():
                        posts.create_post({"content": f"post {round_number} {n}", "tags": []})
                        if storage is not None:
                            for feed in range(3):
                                storage.enqueue(f"ping {n} {feed}".encode())
                rounds[name].append((time.perf_counter() - started) / WRITES * 1e6)
    return {name: statistics.median(means) for name, means in rounds.items()}


def killed_mid_batch(folder, receiver):
    """What each loses when its consumer is killed with SIGKILL while four deliveries are in its
    hands: huey's tasks spend their time before the request (SLOW seconds), the outbox's in the
    receiver's answer (SLOW seconds): either way four are under way and none complete."""
    out = {}
    # huey: BATCH tasks, a consumer with 4 threads, killed after 6 arrived, then a new one
    tasks = huey_module(folder, "huey_kill", receiver.url)
    receiver.seen.clear()
    for n in range(BATCH):
        tasks.ping(f"huey-{n}", SLOW)
    consumer = huey_consumer(folder, tasks)
    wait_for(lambda: len(receiver.seen) >= 6)
    os.killpg(consumer.pid, signal.SIGKILL)
    consumer.wait()
    consumer = huey_consumer(folder, tasks)
    wait_for(lambda: tasks.huey.storage.queue_size() == 0, timeout=30)
    time.sleep(3 * SLOW + 1)
    os.killpg(consumer.pid, signal.SIGTERM)
    consumer.wait()
    out["huey"] = len(set(receiver.seen)), len(receiver.seen)
    receiver.delay = SLOW
    # microblog: BATCH deliveries (7 posts with a tag each: 3 site feeds + 3 per tag, less coalescing)
    receiver.seen.clear()
    url = f"sqlite:///{folder}/outbox-kill.sqlite3"
    app = microblog_app(url, receiver.url)
    with app.app_context():
        for n in range(6):
            posts.create_post({"content": f"post {n}", "tags": [f"t{n}"]})
        total = Delivery.select().count()
    settings = {"DELIVERY_THREADS": 4, "DELIVERY_HOST_CONCURRENCY": 4, "DELIVERY_LEASE": 2, "DELIVERY_TIMEOUT": 1.5,
                "DELIVERY_POLL_INTERVAL": 0.05}
    worker = microblog_worker(url, **settings)
    wait_for(lambda: len(receiver.seen) >= 6)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    worker = microblog_worker(url, **settings)
    with app.app_context():
        wait_for(lambda: Delivery.select().where(Delivery.state == "pending").count() == 0, timeout=30)
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait()
    out["microblog outbox"] = len(set(receiver.seen)), len(receiver.seen)
    receiver.delay = 0.0
    return out, total


def idle_latency(folder, receiver):
    """Seconds from a commit to the receiver, after IDLE_BEFORE seconds of an empty queue."""
    results = {}
    tasks = huey_module(folder, "huey_latency", receiver.url)
    consumer = huey_consumer(folder, tasks, workers=1)
    samples = []
    for n in range(LATENCY_SAMPLES):
        time.sleep(IDLE_BEFORE)
        uid, committed = f"latency-huey-{n}", time.time()
        tasks.ping(uid)
        wait_for(lambda uid=uid: uid in receiver.times, timeout=30)
        samples.append(receiver.times[uid] - committed)
    os.killpg(consumer.pid, signal.SIGTERM)
    consumer.wait()
    results["huey (default consumer polling)"] = samples
    url = f"sqlite:///{folder}/outbox-latency.sqlite3"
    app = microblog_app(url, receiver.url)
    worker = microblog_worker(url)
    samples = []
    for n in range(LATENCY_SAMPLES):
        time.sleep(IDLE_BEFORE)
        with app.app_context():
            committed = time.time()
            posts.create_post({"content": f"post {n}"})
            uid = Delivery.select(Delivery.uid).order_by(Delivery.id.desc()).scalar()
        wait_for(lambda uid=uid: uid in receiver.times, timeout=30)
        samples.append(receiver.times[uid] - committed)
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait()
    results["microblog outbox (DELIVERY_POLL_INTERVAL=1)"] = samples
    return results


def main():
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as folder:
        left, (outcome, waited) = transactional(folder, receiver)
        print(f"rolled-back change, two tries: outbox rows left {left[0]}, huey SqlStorage (same database) tasks "
              f"left {left[1]}")
        print(f"huey SqliteStorage (own connection) inside the write transaction: {outcome} after {waited:.1f} s")
        for name, micros in write_cost(folder, receiver).items():
            print(f"write cost, {name}: {micros:.0f} µs per post (median of {ROUNDS} rounds of {WRITES}, SQLite)")
        killed, total = killed_mid_batch(folder, receiver)
        for name, (distinct, received) in killed.items():
            batch = BATCH if name == "huey" else total
            print(f"kill -9 mid-batch, {name}: {distinct} of {batch} arrived ({received} requests, "
                  f"{batch - distinct} lost)")
        for name, samples in idle_latency(folder, receiver).items():
            print(f"commit to receiver after {IDLE_BEFORE} s idle, {name}: median {statistics.median(samples):.2f} s, "
                  f"max {max(samples):.2f} s ({LATENCY_SAMPLES} samples)")


if __name__ == "__main__":
    main()
