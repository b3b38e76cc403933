"""ActivityPub across hosts, with remote servers on their own loopback addresses
(tests/peers/fediverse.py: each signs and verifies with `cryptography` alone).

- Three servers follow the site through host 1, which runs no delivery worker: host 2's worker
  sends each its signed Accept.
- A post's Create is then planned; host 2 is killed with kill -9 while its worker holds the
  three deliveries, each request sent and unanswered (the servers hold them); a worker started
  on host 1 takes them over once their lease runs out. Each inbox gets the Create at least
  once, every copy with the same activity id and delivery id, and each delivery ends done.
"""
import json
import sys
import threading
import time
from urllib.parse import urlsplit

import psycopg2
from client import call, login
from faults import wait_for
from parts import ROOT

sys.path.append(ROOT)
from tests.peers.fediverse import Fediverse, Received, sign_request, verify_request  # noqa: E402 - the peer lives with the tests

SERVERS = ("127.0.1.7", "127.0.1.8", "127.0.1.9")
ACTIVITY = {"Accept": "application/activity+json"}
LEASE = 5  # seconds: how long a killed worker's deliveries wait for another one (DELIVERY_LEASE)


def follow_then_kill_the_delivering_host(cluster, report):
    """On hosts as run.py's Cluster.restart_for_the_outbox leaves them; host 2 is left killed."""
    started = time.monotonic()
    one, two = cluster.hosts
    public = "http://%s:%d/" % cluster.balancer.base
    servers = [_HoldingServer(address).start() for address in SERVERS]
    worker = None
    try:
        actor = _followed_through_one(cluster, one, servers, public, report)
        worker = _create_survives_the_kill(cluster, one, two, servers, actor, report)
    finally:
        for server in servers:
            server.release.set()
            server.stop()
        if worker is not None:
            cluster.teardown.kill(worker)
    print(f"     (the two ActivityPub rows took {time.monotonic() - started:.0f} s)", flush=True)


def _followed_through_one(cluster, one, servers, public, report):
    source = "127.0.4.40"
    handle = f"acct:{cluster.admin[0]}@{urlsplit(public).netloc}"
    jrd = call(cluster.balancer.base, "GET", f"/.well-known/webfinger?resource={handle}", source=source).json()
    actor = next(link["href"] for link in jrd["links"] if link["rel"] == "self")
    key = call(cluster.balancer.base, "GET", urlsplit(actor).path, source=source, headers=ACTIVITY).json()[
        "publicKey"]["publicKeyPem"]
    inbox = urlsplit(actor).path + "/inbox"
    started = time.monotonic()
    answers = []
    for server in servers:
        body = json.dumps(server.follow(actor)).encode()
        headers = server.sign(inbox, body, urlsplit(public).netloc)
        answers.append(call(one.base, "POST", inbox, source=source, data=body, headers=headers).status)
    accepted = wait_for(lambda: all(server.activities("Accept") for server in servers), 20)
    signed = all(server.verified(key, "Accept") for server in servers)
    followers = call(cluster.balancer.base, "GET", urlsplit(actor).path + "/followers", source=source,
                     headers=ACTIVITY).json()["totalItems"]
    report.check("a Follow received by host 1 (no worker) is accepted by host 2's worker",
                 answers == [202] * 3 and accepted is not None and signed and followers == 3,
                 f"3 Follows through host 1: {answers}; each server's Accept, signature verified: {signed}, "
                 f"within {_since(accepted, started)} s; followers {followers}")
    return {"actor": actor, "key": key}


def _create_survives_the_kill(cluster, one, two, servers, actor, report):
    source = "127.0.4.41"
    token = login(one.base, *cluster.admin, source=source)["access_token"]
    created = call(one.base, "POST", "/api/v1/admin/posts", token=token, source=source,
                   body={"content": f"federated across a crash {time.time()}"})
    held = wait_for(lambda: all(server.holding.is_set() for server in servers), 15)
    killed = time.monotonic()
    two.kill()
    worker = cluster.teardown.spawn([f"{cluster.bin_dir}/flask", "--app", "microblog", "worker"], "worker1.log",
                                    env=one.env, cwd=ROOT)
    for server in servers:
        server.release.set()
    delivered = wait_for(lambda: all(len(server.activities("Create")) >= 2 for server in servers), 30)
    copies = [server.activities("Create") for server in servers]
    same = all(len({activity["id"] for activity in each}) == 1 for each in copies)
    ids = all(len(set(server.delivery_ids("Create"))) == 1 for server in servers)
    signed = all(server.verified(actor["key"], "Create") for server in servers)
    post_id = created.json()["id"] if created.status == 201 else None

    def outbox_states():
        with psycopg2.connect(cluster.postgres.url) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT state, attempts FROM delivery WHERE kind = 'ap-create' AND post_id = %s",
                           (post_id,))
            found = cursor.fetchall()
        connection.close()
        return found

    # an inbox has its copy a moment before the worker records the delivery done
    wait_for(lambda: sorted(state for state, _ in outbox_states()) == ["done"] * 3, 10)
    rows = outbox_states()
    ok = (created.status == 201 and held is not None and delivered is not None and same and ids and signed
          and sorted(state for state, _ in rows) == ["done"] * 3)
    report.check("a Create survives kill -9 of the host delivering it (3 servers)", ok,
                 f"host 2 killed with 3 deliveries in flight; host 1's new worker delivered them "
                 f"{_since(delivered, killed)} s later (lease {LEASE} s); copies per inbox "
                 f"{[len(each) for each in copies]}, at least once, each inbox's copies with one activity id: "
                 f"{same}, one delivery id: {ids}, signatures verified: {signed}; outbox: "
                 f"{sorted(state for state, _ in rows)}")
    return worker


def _since(at, started):
    return "never" if at is None else f"{at - started:.1f}"


class _HoldingServer(Fediverse):
    """A remote server whose inbox keeps every POST and leaves the first Create unanswered until
    released (by then its sender is dead), as a slow server would; it answers the rest 202."""

    def __init__(self, address):
        super().__init__(host=address, name="reader")
        self.holding, self.release = threading.Event(), threading.Event()

    def sign(self, path, body, host):
        return {**sign_request(self.key, self.key_id, "POST", path, host, body),
                "Content-Type": "application/activity+json"}

    def take_post(self, request):
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self.lock:
            self.received.append(Received("POST", request.path, dict(request.headers.items()), body))
            hold = json.loads(body).get("type") == "Create" and not self.holding.is_set()
            if hold:
                self.holding.set()
        if hold:
            self.release.wait(30)
            request.close_connection = True
            return
        request.send_response(202)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def delivery_ids(self, kind):
        with self.lock:
            return [item.headers.get("Microblog-Delivery-Id") for item in self.received
                    if item.activity["type"] == kind]

    def verified(self, key, kind):
        with self.lock:
            chosen = [item for item in self.received if item.activity["type"] == kind]
        return bool(chosen) and all(verify_request(key, "POST", item.path, item.headers, item.body) is None
                                    for item in chosen)

