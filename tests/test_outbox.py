"""The outbox: retries with backoff, giving up, per-host limits, the admin API and /healthz,
with microblog's worker on a thread and a hub on loopback (tests/peers/websub_hub.py)."""
import time

import pytest

from microblog.data.db import write_transaction
from microblog.data.models import Delivery, DeliveryHost, utcnow
from microblog.service import posts
from tests.conftest import AuthActions
from tests.helpers import assert_problem

BASE = "http://blog.test/"
SITE_FEEDS = 3  # Atom, RSS, JSON Feed


@pytest.fixture
def make_blog(make_ready_app, hub):
    def make(**overrides):
        settings = {"WEBSUB_HUB": hub.url, "PUBLIC_BASE_URL": BASE, "DELIVERY_POLL_INTERVAL": 0.05,
                    "DELIVERY_RETRY_BASE": 0.1, "OUTBOUND_ALLOW_LOOPBACK": True, **overrides}
        return make_ready_app(**settings)

    return make


def deliveries(app):
    with app.app_context():
        return list(Delivery.select().order_by(Delivery.id))


def wait_until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_hub_that_fails_then_recovers_gets_each_ping_once(make_blog, hub, run_worker):
    app = make_blog()
    hub.fail_next = 2 * SITE_FEEDS  # every ping fails twice (503), then the hub is back
    AuthActions(app.test_client()).create_post(content="Hello")
    run_worker(app)
    pings = hub.wait_for(SITE_FEEDS)
    wait_until(lambda: all(d.state == "done" for d in deliveries(app)))
    time.sleep(0.3)  # nothing more arrives once they are done
    assert len(hub.pings) == SITE_FEEDS and len({ping.delivery_id for ping in pings}) == SITE_FEEDS
    assert hub.attempts == 3 * SITE_FEEDS
    assert sum(d.attempts for d in deliveries(app)) == hub.attempts  # every try counted, none lost
    with app.app_context():
        assert DeliveryHost.select().count() == 0  # the host is well again


def test_retries_wait_longer_each_time_with_jitter(make_blog, hub, run_worker):
    app = make_blog(DELIVERY_RETRY_BASE=0.3, DELIVERY_HOST_FAILURES=100)
    hub.fail_next = 3
    with app.app_context():
        posts.create_post({"content": "Hello"})
    with app.app_context():  # one delivery only
        for delivery in Delivery.select().where(Delivery.id > 1):
            delivery.delete_instance()
    times = []
    original = hub.answer

    def timed(request):
        times.append(time.monotonic())
        original(request)

    hub.answer = timed
    run_worker(app)
    hub.wait_for(1)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3
    for gap, expected in zip(gaps, (0.3, 0.6, 1.2), strict=True):  # base, doubling, ±25 %
        assert 0.75 * expected - 0.05 <= gap <= 1.25 * expected + 0.5, gaps  # the slack: a loaded machine


def test_a_refusal_fails_at_once_and_the_admin_can_retry_it(make_blog, hub, run_worker):
    app = make_blog()
    admin = AuthActions(app.test_client())
    hub.fail_next, hub.fail_status = SITE_FEEDS, 400
    admin.create_post(content="Hello")
    run_worker(app)
    wait_until(lambda: [d.state for d in deliveries(app)] == ["failed"] * SITE_FEEDS)
    listed = admin.client.get("/api/v1/admin/deliveries?state=failed", headers=admin.headers).get_json()
    assert [item["last_error"] for item in listed["items"]] == ["answered 400"] * SITE_FEEDS
    assert [item["attempts"] for item in listed["items"]] == [1] * SITE_FEEDS
    summary = admin.client.get("/api/v1/admin/deliveries/summary", headers=admin.headers).get_json()
    destination = hub.url.split("/")[2]
    assert summary["items"] == [{"kind": "websub", "destination": destination, "pending": 0, "done": 0,
                                 "failed": SITE_FEEDS, "cancelled": 0}]
    first = listed["items"][0]["id"]
    retried = admin.client.post(f"/api/v1/admin/deliveries/{first}/retry", headers=admin.headers)
    assert retried.status_code == 200 and retried.get_json()["state"] == "pending"
    pings = hub.wait_for(1)
    assert [ping.delivery_id for ping in pings] == [listed["items"][0]["uid"]]
    wait_until(lambda: admin.client.get(f"/api/v1/admin/deliveries/{first}",
                                        headers=admin.headers).get_json()["state"] == "done")
    assert_problem(admin.client.post(f"/api/v1/admin/deliveries/{first}/retry", headers=admin.headers), 409)
    assert_problem(admin.client.post(f"/api/v1/admin/deliveries/{first}/cancel", headers=admin.headers), 409)
    assert_problem(admin.client.post("/api/v1/admin/deliveries/99999/cancel", headers=admin.headers), 404)


def test_a_cancelled_delivery_is_never_sent(make_blog, hub, run_worker):
    app = make_blog()
    admin = AuthActions(app.test_client())
    admin.create_post(content="Hello")
    pending = admin.client.get("/api/v1/admin/deliveries?state=pending", headers=admin.headers).get_json()["items"]
    cancelled = admin.client.post(f"/api/v1/admin/deliveries/{pending[0]['id']}/cancel", headers=admin.headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    run_worker(app)
    pings = hub.wait_for(SITE_FEEDS - 1)
    time.sleep(0.3)
    assert len(hub.pings) == SITE_FEEDS - 1 and pending[0]["subject"] not in {ping.topic for ping in pings}


def test_a_hub_the_safe_fetcher_refuses_fails_at_once_and_is_never_reached(make_blog, hub, run_worker):
    app = make_blog(OUTBOUND_ALLOW_LOOPBACK=False)  # as in production: loopback is not fetched
    AuthActions(app.test_client()).create_post(content="Hello")
    run_worker(app)
    wait_until(lambda: [d.state for d in deliveries(app)] == ["failed"] * SITE_FEEDS)
    assert all("not fetched" in d.last_error and d.attempts == 1 for d in deliveries(app))
    assert hub.attempts == 0


def test_a_delivery_is_given_up_after_its_maximum_age_and_listed_as_failed(make_blog, hub, run_worker):
    app = make_blog(DELIVERY_MAX_AGE=1, DELIVERY_HOST_FAILURES=1000)
    hub.fail_next = 10_000
    AuthActions(app.test_client()).create_post(content="Hello")
    run_worker(app)
    wait_until(lambda: [d.state for d in deliveries(app)] == ["failed"] * SITE_FEEDS, timeout=5)
    assert all(d.last_error == "answered 503" and d.attempts > 1 for d in deliveries(app))
    assert hub.pings == []


def test_a_host_that_keeps_failing_is_backed_off_as_a_whole(make_blog, hub, run_worker):
    app = make_blog(DELIVERY_RETRY_BASE=5, DELIVERY_HOST_FAILURES=2, DELIVERY_HOST_CONCURRENCY=1)
    hub.fail_next = 10_000
    with app.app_context():
        for n in range(3):
            posts.create_post({"content": f"Post {n}", "tags": [f"t{n}"]})
    run_worker(app)
    wait_until(lambda: hub.attempts >= 2)
    time.sleep(0.5)
    assert hub.attempts == 2  # nine deliveries due, but the host failed twice: it waits as a whole
    with app.app_context():
        host = DeliveryHost.get()
    assert host.failures == 2 and host.blocked_until > utcnow()


def test_at_most_n_deliveries_are_in_flight_to_one_host(make_blog, hub, run_worker):
    app = make_blog(DELIVERY_HOST_CONCURRENCY=2, DELIVERY_THREADS=4)
    hub.delay = 0.2
    with app.app_context():
        for n in range(4):
            posts.create_post({"content": f"Post {n}", "tags": [f"t{n}"]})
    run_worker(app)
    run_worker(app)  # two workers, eight threads: still two at once
    assert len(hub.wait_for(3 + 4 * 3)) == 15
    assert hub.most_in_flight == 2


def test_a_change_rolled_back_leaves_no_delivery(make_blog):
    app = make_blog()
    with app.app_context(), pytest.raises(RuntimeError):
        with write_transaction():
            posts.create_post({"content": "Never committed"})
            raise RuntimeError("the change fails after its deliveries were written")
    assert deliveries(app) == []


def test_pings_for_the_same_feed_not_yet_taken_are_sent_once(make_blog, hub, run_worker):
    app = make_blog()
    admin = AuthActions(app.test_client())
    for n in range(5):
        admin.create_post(content=f"Post {n}")
    assert len(deliveries(app)) == SITE_FEEDS  # one ping per feed covers five changes not yet told
    run_worker(app)
    hub.wait_for(SITE_FEEDS)
    wait_until(lambda: all(d.state == "done" for d in deliveries(app)))
    admin.create_post(content="After")  # after a ping went out, a new change is a new ping
    assert len(hub.wait_for(2 * SITE_FEEDS)) == 2 * SITE_FEEDS


def test_healthz_reports_the_oldest_pending_deliverys_age(make_blog):
    app = make_blog()
    client = app.test_client()
    assert client.get("/healthz").get_json()["oldest_pending_delivery_age"] == 0
    AuthActions(client).create_post(content="Hello")  # no worker runs
    time.sleep(0.3)
    assert client.get("/healthz").get_json()["oldest_pending_delivery_age"] >= 0.3


def test_the_deliveries_api_pages_and_filters(make_blog):
    app = make_blog()
    admin = AuthActions(app.test_client())
    admin.create_post(content="Hello", tags=["a", "b"])
    get = lambda query: admin.client.get(f"/api/v1/admin/deliveries?{query}", headers=admin.headers)  # noqa: E731
    first = get("limit=4").get_json()
    assert len(first["items"]) == 4 and first["next_before"] == first["items"][-1]["id"]
    rest = get(f"limit=4&before={first['next_before']}").get_json()
    assert len(rest["items"]) == 4 and rest["next_before"] is not None
    assert len(get(f"before={rest['next_before']}").get_json()["items"]) == 1
    assert get("kind=webmention").get_json()["items"] == []
    assert len(get(f"destination={first['items'][0]['destination']}&state=pending").get_json()["items"]) == 9
    assert_problem(get("state=lost"), 422)
    assert_problem(get("limit=0"), 422)
    assert_problem(admin.client.get("/api/v1/admin/deliveries"), 401)
