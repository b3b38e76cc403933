"""Faults under load, through the balancer: an app host killed with kill -9 in the middle of
writes, and PostgreSQL restarted in the middle of reads and writes."""
import threading
import time

import psycopg2
from checks import POSTS, new_key
from client import call, login

RETRIED = {0, 502, 503, 504}  # no answer, or the balancer's or the database's "try again"
# Each client creates at most one post this often: under RATELIMIT_WRITES (120 a minute) for
# the whole fault, so that a 429 never stands for a failure.
PACE_SECONDS = 0.25


class Load:
    """Client threads, each from its own address, each calling `step(source)` until stopped;
    every answer is kept as (started, answer) with what the step says about it."""

    def __init__(self, sources, step):
        self.sources, self.step = sources, step
        self.stopping, self.lock, self.records = threading.Event(), threading.Lock(), []
        self.threads = [threading.Thread(target=self._run, args=(s,), daemon=True) for s in sources]

    def _run(self, source):
        while not self.stopping.is_set():
            self.step(self, source)

    def keep(self, started, answer, **facts):
        with self.lock:
            self.records.append((started, answer, facts))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def wait_for(condition, seconds, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(step)
    return None


def creates(cluster, token, marker):
    """A step: create one post, retrying with its Idempotency-Key until acknowledged (201), or
    put aside when the key is still held by a request that died with its host (409)."""
    acknowledged, put_aside = {}, set()

    def step(load, source):
        time.sleep(PACE_SECONDS)
        key = new_key()
        body = {"content": f"{marker} {key}"}
        for _ in range(200):
            started = time.monotonic()
            answer = call(cluster.balancer.base, "POST", "/api/v1/admin/posts", token=token, body=body,
                          source=source, headers={"Idempotency-Key": key}, timeout=20)
            load.keep(started, answer, key=key)
            if answer.status == 201:
                acknowledged[key] = answer.json()["id"]
                return
            if answer.status == 409 and b"still running" in answer.body:
                put_aside.add(key)
                return
            if answer.status not in RETRIED or load.stopping.is_set():
                return
            time.sleep(0.1)
    return step, acknowledged, put_aside


def stored(cluster, marker):
    """{key: [post ids]} of the posts whose content carries `marker`, read from PostgreSQL."""
    with psycopg2.connect(cluster.postgres.url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, content FROM post WHERE content LIKE %s", (f"{marker} %",))
        found = {}
        for post_id, content in cursor.fetchall():
            found.setdefault(content.split()[-1], []).append(post_id)
    connection.close()
    return found


def kill_a_host(cluster, report):
    host, balancer = cluster.hosts[0], cluster.balancer
    token = login(balancer.base, *cluster.admin, source="127.0.2.100")["access_token"]
    step, acknowledged, put_aside = creates(cluster, token, "failover")
    with Load([f"127.0.2.{i}" for i in range(1, 7)], step) as load:
        time.sleep(3)
        killed = time.monotonic()
        host.kill()
        out = wait_for(lambda: balancer.states()["app1"] != "UP", 10)
        time.sleep(3)
        restarted = time.monotonic()
        host.start()
        back = wait_for(lambda: balancer.states()["app1"] == "UP", 15)
        time.sleep(2)
    found = stored(cluster, "failover")
    window_end = out or time.monotonic()
    # when each failure was answered: a request in flight at the kill fails after it
    failed = [(t + a.seconds, a) for t, a, _ in load.records
              if a.status != 201 and not (a.status == 409 and b"still running" in a.body)]
    during = [a for t, a in failed if killed <= t < window_end]
    after = [a for t, a in failed if t >= window_end]
    before = [a for t, a in failed if t < killed]
    missing = [k for k in acknowledged if found.get(k) != [acknowledged[k]]]
    doubled = [k for k, ids in found.items() if len(ids) > 1]
    ok = (out is not None and back is not None and not before and not after and not missing
          and not doubled and not [a for a in during if a.status not in RETRIED])
    last = max((t for t, _ in failed), default=None)
    last_failure = "none failed" if last is None else f"the last failure {last - killed:.2f} s after the kill"
    report.check("kill -9 of host 1 under writes (6 clients)", ok,
                 f"{len(acknowledged)} creates acknowledged, {sum(k in found for k in acknowledged)} "
                 f"in the database once, {len(doubled)} twice; the host out of the balancer "
                 f"{_seconds(out, killed)} s after the kill; {len(during)} requests failed in that "
                 f"window ({_kinds(during)}; each retried), {last_failure}; "
                 f"{len(after)} failures after; {len(put_aside)} creates put aside (409: key held by "
                 f"the killed request); restarted host back in {_seconds(back, restarted)} s")
    cluster.failover_put_aside = len(put_aside)


def restart_postgres(cluster, report):
    balancer = cluster.balancer
    token = login(balancer.base, *cluster.admin, source="127.0.3.100")["access_token"]
    write_step, acknowledged, _ = creates(cluster, token, "restart")

    def read_step(load, source):
        started = time.monotonic()
        load.keep(started, call(balancer.base, "GET", f"{POSTS}?limit=5", source=source, timeout=20))
        time.sleep(0.05)

    def write_once(load, source):
        started = time.monotonic()
        key = new_key()
        answer = call(balancer.base, "POST", "/api/v1/admin/posts", token=token, source=source,
                      body={"content": f"restart {key}"}, headers={"Idempotency-Key": key}, timeout=20)
        load.keep(started, answer)
        if answer.status == 201:
            acknowledged[key] = answer.json()["id"]
        time.sleep(0.25)

    readers = Load([f"127.0.3.{i}" for i in range(1, 4)], read_step)
    writers = Load([f"127.0.3.{i}" for i in range(11, 13)], write_once)
    with readers, writers:
        time.sleep(2)
        stopped = time.monotonic()
        cluster.postgres.stop()
        time.sleep(3)
        cluster.postgres.start()
        returned = time.monotonic()
        answering = {h.name: wait_for(lambda h=h: call(h.base, "GET", f"{POSTS}?limit=1",
                                                       source="127.0.3.50").status == 200, 10, 0.1)
                     for h in cluster.hosts}
        through = wait_for(lambda: call(balancer.base, "GET", f"{POSTS}?limit=1", source="127.0.3.51")
                           .status == 200, 10, 0.1)
        time.sleep(max(0.0, returned + 7 - time.monotonic()))
    records = readers.records + writers.records
    codes = [a.status for _, a, _ in records]
    unavailable = [a for _, a, _ in records if a.status == 503]
    proper = all(a.is_problem() and "retry-after" in a.headers for a in unavailable)
    late = [a for t, a, _ in records if t > returned + 5 and a.status not in (200, 201)]
    found = stored(cluster, "restart")
    missing = [k for k in acknowledged if found.get(k) != [acknowledged[k]]]
    slowest = max(a.seconds for _, a, _ in records)
    host_seconds = {name: None if at is None else round(at - returned, 2) for name, at in answering.items()}
    ok = (set(codes) <= {200, 201, 503} and proper and not late and not missing and slowest < 7
          and all(s is not None and s <= 5 for s in host_seconds.values()))
    from_balancer = sum(b"No host can answer" in a.body for a in unavailable)
    report.check("PostgreSQL restarted under reads and writes (5 clients)", ok,
                 f"down {returned - stopped:.1f} s: {len(records)} requests, {len(unavailable)} × 503 "
                 f"problems with Retry-After ({from_balancer} from the balancer, both hosts out), "
                 f"{sum(c >= 500 and c != 503 or c == 0 for c in codes)} other errors, slowest "
                 f"{slowest:.2f} s; after its return hosts 1 and 2 answer in {host_seconds['app1']} s "
                 f"and {host_seconds['app2']} s, the balancer in {_seconds(through, returned)} s, "
                 f"no app restarted; {len(late)} failures after 5 s; {len(acknowledged)} acknowledged "
                 f"creates all stored once: {not missing}")


def _kinds(answers):
    counts = {}
    for answer in answers:
        name = "no answer" if answer.status == 0 else str(answer.status)
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} × {name}" for name, n in sorted(counts.items())) or "none"


def _seconds(at, since):
    return "never" if at is None else f"{at - since:.2f}"
