"""Delivery workers as processes (`flask --app microblog worker`, and the one `microblog serve`
runs): killed with SIGKILL mid-batch, or two at once on one database, every delivery reaches
the hub (tests/peers/websub_hub.py), or a fediverse server's inboxes (tests/peers/fediverse.py),
none twice but a retry of the same id. With
TEST_DATABASE_URL (scripts/with-postgres.sh) the workers share PostgreSQL."""
import os
import signal
import socket
import subprocess
import time
from collections import Counter

import pytest
import requests

from microblog.data.models import Delivery
from microblog.service import posts
from scripts import harness

BASE = "http://blog.test/"


@pytest.fixture
def blog(make_ready_app, hub):
    """The app that writes the posts (and so plans their pings), on the workers' database."""
    return make_ready_app(WEBSUB_HUB=hub.url, PUBLIC_BASE_URL=BASE, OUTBOUND_ALLOW_LOOPBACK=True)


@pytest.fixture
def workers(database_url):
    """Start `flask --app microblog worker` processes on the test database; all stopped after."""
    started = []

    def start(**settings):
        env = harness.server_env(database_url, **{"PUBLIC_BASE_URL": BASE, "DELIVERY_POLL_INTERVAL": 0.05,
                                                  "DELIVERY_RETRY_BASE": 0.2, "OUTBOUND_ALLOW_LOOPBACK": "true",
                                                  **settings})
        process = subprocess.Popen([f"{harness.BIN}/flask", "--app", "microblog", "worker"], env=env,
                                   cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def write_posts(app, count):
    """`count` public posts, each with a tag of its own: 3 site feeds + 3 feeds a post to ping."""
    with app.app_context():
        for n in range(count):
            posts.create_post({"content": f"Post {n}", "tags": [f"tag-{n}"]})
        return {delivery.uid for delivery in Delivery.select()}


def states(app):
    with app.app_context():
        return Counter(state for (state,) in Delivery.select(Delivery.state).tuples())


def leased(app):
    """The uids of the deliveries a worker had taken and not finished."""
    with app.app_context():
        return {d.uid for d in Delivery.select().where(Delivery.state == "pending", Delivery.lease.is_null(False))}


def wait_until(check, timeout):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# A short lease and timeouts: a killed worker's deliveries come back to the next one soon
KILLED_WORKER_SETTINGS = {"DELIVERY_THREADS": 4, "DELIVERY_HOST_CONCURRENCY": 4, "DELIVERY_LEASE": 2,
                          "DELIVERY_TIMEOUT": 1.5, "DELIVERY_CONNECT_TIMEOUT": 1}


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_what_it_held(blog, hub, workers):
    uids = write_posts(blog, 8)
    assert len(uids) == 3 + 8 * 3
    hub.delay = 0.3
    first = workers(**KILLED_WORKER_SETTINGS)
    hub.wait_for(6)
    wait_until(lambda: hub.in_flight > 0, timeout=10)  # not in the instant between two batches
    os.killpg(first.pid, signal.SIGKILL)  # pings are in flight
    first.wait()
    held = leased(blog)
    assert held, "the kill came between two batches"
    workers(**KILLED_WORKER_SETTINGS)
    wait_until(lambda: states(blog) == {"done": len(uids)}, timeout=30)
    received = Counter(ping.delivery_id for ping in hub.pings)
    assert set(received) == uids  # every delivery arrived
    assert {uid for uid, count in received.items() if count > 1} <= held  # a repeat keeps its id


def test_two_workers_on_one_database_never_send_a_delivery_twice(blog, hub, workers):
    # The hub answers no ping until one from each worker has come in (or hub.hold_timeout, 10 s, has
    # passed: within the workers' DELIVERY_TIMEOUT of 15 s), however slow one is to start: both then
    # take from the same pending deliveries at once. Their 4 threads each stay within the host
    # limit of 8 counted over both, so neither waits for the other (at 4, one alone would fill it).
    hub.hold_until_senders, hub.delay = 2, 0.2
    settings = {"DELIVERY_THREADS": 4, "DELIVERY_HOST_CONCURRENCY": 8}
    workers(**settings)
    workers(**{**settings, "PUBLIC_BASE_URL": BASE.rstrip("/")})  # its User-Agent tells its pings apart
    uids = write_posts(blog, 20)
    wait_until(lambda: states(blog) == {"done": len(uids)}, timeout=30)
    received = Counter(ping.delivery_id for ping in hub.pings)
    assert set(received) == uids and set(received.values()) == {1}
    by_worker = Counter(ping.user_agent for ping in hub.pings)
    assert len(by_worker) == 2, by_worker  # both took a share


def test_a_worker_without_the_public_url_says_so_once_and_sends_nothing(blog, hub, database_url):
    write_posts(blog, 1)
    env = harness.server_env(database_url, DELIVERY_POLL_INTERVAL=0.05)
    env.pop("PUBLIC_BASE_URL", None)
    process = subprocess.Popen([f"{harness.BIN}/flask", "--app", "microblog", "worker"], env=env,
                               cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first_line = process.stdout.readline()  # once it has started
    time.sleep(1)
    process.terminate()
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    lines = [line for line in (first_line + output).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].endswith(
        "PUBLIC_BASE_URL is not set, so no delivery is sent (WebSub pings, Webmentions, fediverse activities): "
        "set it to the site's public URL.")
    assert hub.attempts == 0 and states(blog) == {"pending": 6}


@pytest.mark.parametrize("runs_worker", [True, False])
def test_serve_runs_a_worker_unless_told_not_to(live_server, hub, runs_worker):
    server = live_server("granian", workers=1, PUBLIC_BASE_URL=BASE, WEBSUB_HUB=hub.url,
                         SERVE_RUNS_WORKER=str(runs_worker).lower(), DELIVERY_POLL_INTERVAL=0.1,
                         OUTBOUND_ALLOW_LOOPBACK="true")
    session = requests.Session()
    headers = harness.login(session, server.url)
    assert session.post(f"{server.url}/api/v1/admin/posts", json={"content": "Hi"}, headers=headers).status_code == 201
    pings = hub.wait_for(3, timeout=5 if runs_worker else 1.5)
    assert len(pings) == (3 if runs_worker else 0)
    health = session.get(f"{server.url}/healthz").json()
    assert (health["oldest_pending_delivery_age"] == 0) == runs_worker


def test_a_worker_killed_mid_delivery_loses_no_activitypub_activity(make_ready_app, remote, workers):
    """As the WebSub run above, with the fediverse's deliveries: signed Creates to followers'
    shared inboxes (tests/peers/fediverse.py), each activity arriving, a repeat with its id."""
    from microblog.data.models import Follower

    blog = make_ready_app(PUBLIC_BASE_URL=BASE, OUTBOUND_ALLOW_LOOPBACK=True)
    with blog.app_context():
        for number in range(3):  # three servers' followers, on one loopback host's shared inbox each
            Follower.create(actor=f"{remote.origin}/users/f{number}", inbox=f"{remote.origin}/users/f{number}/inbox",
                            shared_inbox=f"{remote.shared_inbox}/{number}", follow_id=f"{remote.origin}/follows/{number}",
                            host="127.0.0.3")
        for n in range(6):
            posts.create_post({"content": f"Federated {n}"})
        planned = {(d.uid, d.subject) for d in Delivery.select()}
    assert len(planned) == 18 and {kind for (kind,) in Delivery.select(Delivery.kind).tuples()} == {"ap-create"}
    remote.delay = 0.3
    first = workers(**KILLED_WORKER_SETTINGS)
    wait_until(lambda: len(remote.activities("Create")) >= 6, timeout=30)
    os.killpg(first.pid, signal.SIGKILL)  # four Creates are in flight
    first.wait()
    held = leased(blog)
    assert held, "the kill came between two batches"
    workers(**KILLED_WORKER_SETTINGS)
    wait_until(lambda: states(blog) == {"done": len(planned)}, timeout=30)
    with remote.lock:
        received = Counter((item.headers["Microblog-Delivery-Id"], item.path, item.activity["id"])
                           for item in remote.received)
    assert {uid for uid, _, _ in received} == {uid for uid, _ in planned}  # every delivery arrived
    assert {(uid, subject) for uid, _, subject in received} == planned  # each with its own activity
    with blog.app_context():
        tried_again = {d.uid for d in Delivery.select().where(Delivery.attempts > 1)}
    assert tried_again >= held  # (a try that timed out on this busy machine is tried again too)
    assert {uid for (uid, _, _), count in received.items() if count > 1} <= tried_again  # with its ids


def test_a_request_cut_off_mid_body_is_no_activity_received(remote):
    """A sender killed mid-request leaves a body shorter than its Content-Length: the peer, as
    any server, acts on none of it (the kill tests above would otherwise count a half activity)."""
    host, port = remote.origin.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/activity+json\r\n"
                           b"Content-Length: 100\r\n\r\n{\"type\": \"Cre")
        connection.shutdown(socket.SHUT_WR)
        connection.recv(1024)
    whole = requests.post(f"{remote.origin}/inbox", json={"type": "Create", "id": "https://x.example/1"}, timeout=5)
    assert whole.status_code == 202
    assert remote.activities() == [{"type": "Create", "id": "https://x.example/1"}]
