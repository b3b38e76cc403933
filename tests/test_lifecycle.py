"""Admin lifecycle: revisions, If-Match (412), Idempotency-Key and the change feed."""
import threading
import time
from datetime import timedelta

import pytest

from microblog.data.db import write_transaction
from microblog.data.models import IdempotencyKey, utcnow
from microblog.service import errors, history, idempotency, posts
from microblog.web.api.admin import _body_hash
from tests.helpers import assert_problem

POSTS = "/api/v1/admin/posts"


def in_threads(count, work):
    """Run work(n) in `count` threads at once; their results in thread order."""
    results, start = [None] * count, threading.Barrier(count)

    def run(n):
        start.wait()
        results[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# Revisions

def test_every_text_change_is_a_revision_with_when_and_what(client, auth):
    post = auth.create_post(content="v1", title="T1", tags=["a"])
    url = f"{POSTS}/{post['id']}"
    client.patch(url, json={"content": "v2"}, headers=auth.headers)
    client.patch(url, json={"visible": False}, headers=auth.headers)
    client.patch(url, json={"tags": ["b"], "title": "T3"}, headers=auth.headers)
    response = client.get(f"{url}/revisions", headers=auth.headers)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(r["rev"], r["title"], r["content"], r["tags"]) for r in items] == [
        (1, "T1", "v1", ["a"]), (2, "T1", "v2", ["a"]), (3, "T3", "v2", ["b"])]
    assert items[0]["created"] == post["created"]
    assert all(r["created"].endswith("Z") for r in items)


def test_restoring_a_revision_makes_it_current_as_a_new_revision(client, auth):
    post = auth.create_post(content="original", title="Original", tags=["x"])
    url = f"{POSTS}/{post['id']}"
    client.put(url, json={"content": "rewritten"}, headers=auth.headers)
    response = client.post(f"{url}/revisions/1/restore", headers=auth.headers)
    assert response.status_code == 200
    restored = response.get_json()
    assert (restored["content"], restored["title"], restored["tags"]) == ("original", "Original", ["x"])
    assert restored["edited"] is not None and response.headers["ETag"]
    revs = client.get(f"{url}/revisions", headers=auth.headers).get_json()["items"]
    assert [r["content"] for r in revs] == ["original", "rewritten", "original"]
    public = client.get(f"/api/v1/posts/{post['id']}").get_json()
    assert public["content"] == "original" and public["edited"] == restored["edited"]


def test_revision_errors(client, auth):
    post = auth.create_post(content="x")
    url = f"{POSTS}/{post['id']}"
    assert_problem(client.post(f"{url}/revisions/9/restore", headers=auth.headers), 404)
    assert_problem(client.get(f"{POSTS}/999999/revisions", headers=auth.headers), 404)
    client.delete(url, headers=auth.headers)
    assert_problem(client.post(f"{url}/revisions/1/restore", headers=auth.headers), 409)
    client.delete(f"{url}?purge=true", headers=auth.headers)
    assert_problem(client.get(f"{url}/revisions", headers=auth.headers), 404)


# Optimistic concurrency

def test_a_stale_if_match_is_412_and_changes_nothing(client, auth):
    post = auth.create_post(content="first")
    url = f"{POSTS}/{post['id']}"
    stale = client.get(url, headers=auth.headers).headers["ETag"]
    current = client.patch(url, json={"content": "second"}, headers=auth.headers).headers["ETag"]
    for method, body, path in [("patch", {"content": "lost"}, ""), ("put", {"content": "lost"}, ""),
                               ("delete", None, ""), ("post", None, "/restore"),
                               ("post", None, "/revisions/1/restore")]:
        response = getattr(client, method)(url + path, json=body, headers={**auth.headers, "If-Match": stale})
        assert_problem(response, 412)
    after = client.get(url, headers=auth.headers)
    assert after.get_json()["content"] == "second" and after.get_json()["deleted"] is None
    assert after.headers["ETag"] == current


@pytest.mark.parametrize("if_match", ["{current}", '"x", {current}', "*"])
def test_a_matching_if_match_succeeds(client, auth, if_match):
    post = auth.create_post(content="first")
    url = f"{POSTS}/{post['id']}"
    current = client.get(url, headers=auth.headers).headers["ETag"]
    response = client.patch(url, json={"content": "second"},
                            headers={**auth.headers, "If-Match": if_match.format(current=current)})
    assert response.status_code == 200 and response.headers["ETag"] != current


def test_a_weak_etag_never_matches_if_match(client, auth):
    post = auth.create_post(content="first")
    url = f"{POSTS}/{post['id']}"
    current = client.get(url, headers=auth.headers).headers["ETag"]
    assert_problem(client.delete(url, headers={**auth.headers, "If-Match": f"W/{current}"}), 412)


def test_two_clients_editing_at_once_one_wins_and_nothing_is_lost(app, client, auth):
    post = auth.create_post(content="shared")
    url = f"{POSTS}/{post['id']}"
    etag = client.get(url, headers=auth.headers).headers["ETag"]
    headers = {**auth.headers, "If-Match": etag}

    def edit(n):
        with app.test_client() as own:
            return own.patch(url, json={"content": f"edit {n}"}, headers=headers)

    responses = in_threads(6, edit)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 5
    winner = next(r for r in responses if r.status_code == 200).get_json()["content"]
    assert client.get(url, headers=auth.headers).get_json()["content"] == winner
    revisions = client.get(f"{url}/revisions", headers=auth.headers).get_json()["items"]
    assert [r["content"] for r in revisions] == ["shared", winner]


# Idempotency-Key

def test_a_retried_create_returns_the_first_response_and_creates_nothing(client, auth):
    headers = {**auth.headers, "Idempotency-Key": "retry-1"}
    first = client.post(POSTS, json={"content": "once", "tags": ["a"]}, headers=headers)
    again = client.post(POSTS, json={"tags": ["a"], "content": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert len(client.get(POSTS, headers=auth.headers).get_json()["items"]) == 1


def test_the_replay_is_the_first_response_even_after_the_post_changed(client, auth):
    headers = {**auth.headers, "Idempotency-Key": "retry-2"}
    first = client.post(POSTS, json={"content": "once"}, headers=headers)
    client.patch(first.headers["Location"], json={"content": "changed"}, headers=auth.headers)
    assert client.post(POSTS, json={"content": "once"}, headers=headers).get_json() == first.get_json()


def test_the_same_key_with_another_body_is_422(client, auth):
    headers = {**auth.headers, "Idempotency-Key": "retry-3"}
    client.post(POSTS, json={"content": "once"}, headers=headers)
    body = assert_problem(client.post(POSTS, json={"content": "other"}, headers=headers), 422)
    assert "another request body" in body["detail"]
    assert len(client.get(POSTS, headers=auth.headers).get_json()["items"]) == 1


def _hash_of(app, body):
    with app.test_request_context(json=body):
        return _body_hash()


def _age_keys(app, age):
    with app.app_context():
        IdempotencyKey.update(created=utcnow() - age).execute()


def test_a_key_still_running_is_409_and_an_abandoned_one_is_taken_over(app, client, auth):
    body = {"content": "slow"}
    with app.app_context():
        idempotency.claim("busy", _hash_of(app, body), timedelta(hours=24))
    headers = {**auth.headers, "Idempotency-Key": "busy"}
    assert_problem(client.post(POSTS, json=body, headers=headers), 409)
    _age_keys(app, timedelta(minutes=5))
    assert client.post(POSTS, json=body, headers=headers).status_code == 201


def test_keys_expire_after_the_configured_time(make_app, app, auth):
    short = make_app(IDEMPOTENCY_KEY_TTL=1).test_client()
    headers = {**auth.headers, "Idempotency-Key": "expiring"}
    first = short.post(POSTS, json={"content": "x"}, headers=headers)
    assert short.post(POSTS, json={"content": "x"}, headers=headers).get_json() == first.get_json()
    _age_keys(app, timedelta(seconds=2))
    second = short.post(POSTS, json={"content": "x"}, headers=headers)
    assert second.status_code == 201 and second.get_json()["id"] != first.get_json()["id"]


def test_a_failed_create_releases_its_key(client, auth):
    blocker = auth.create_post(content="taken", slug="taken")
    headers = {**auth.headers, "Idempotency-Key": "fails"}
    assert_problem(client.post(POSTS, json={"content": "x", "slug": "taken"}, headers=headers), 409)
    client.delete(f"{POSTS}/{blocker['id']}", headers=auth.headers)
    client.delete(f"{POSTS}/{blocker['id']}?purge=true", headers=auth.headers)
    retried = client.post(POSTS, json={"content": "x", "slug": "taken"}, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers


def test_a_post_that_reuses_a_purged_id_never_matches_its_etags(client, auth):
    gone = client.post(POSTS, json={"content": "gone"}, headers=auth.headers)
    old_etag = gone.headers["ETag"]
    url = f"{POSTS}/{gone.get_json()['id']}"
    client.delete(url, headers=auth.headers)
    client.delete(f"{url}?purge=true", headers=auth.headers)
    new = auth.create_post(content="new")
    new_url = f"{POSTS}/{new['id']}"
    assert_problem(client.patch(new_url, json={"content": "x"}, headers={**auth.headers, "If-Match": old_etag}), 412)
    tombstones = [i for i in feed(client, auth)["items"] if i["action"] == "purge"]
    assert tombstones and all(item["post"] is None for item in tombstones)


@pytest.mark.parametrize("key", ["", "a" * 256, "has space", "é"])
def test_bad_keys_are_422(client, auth, key):
    assert_problem(client.post(POSTS, json={"content": "x"},
                               headers={**auth.headers, "Idempotency-Key": key}), 422)


def test_a_create_retried_concurrently_makes_one_post(app, client, auth):
    headers = {**auth.headers, "Idempotency-Key": "concurrent"}

    def create(_n):
        with app.test_client() as own:
            return own.post(POSTS, json={"content": "only once"}, headers=headers)

    responses = in_threads(6, create)
    assert {r.status_code for r in responses} <= {201, 409}
    created = {r.get_json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert len(client.get(POSTS, headers=auth.headers).get_json()["items"]) == 1


# Change feed

def feed(client, auth, since=0, limit=1000):
    response = client.get(f"/api/v1/admin/changes?since={since}&limit={limit}", headers=auth.headers)
    assert response.status_code == 200
    return response.get_json()


def test_the_feed_lists_every_action_in_order_with_a_tombstone(client, auth):
    post = auth.create_post(content="x")
    url = f"{POSTS}/{post['id']}"
    client.patch(url, json={"content": "y"}, headers=auth.headers)
    client.patch(url, json={"visible": False}, headers=auth.headers)
    client.patch(url, json={"visible": True, "title": "t"}, headers=auth.headers)
    client.delete(url, headers=auth.headers)
    client.post(f"{url}/restore", headers=auth.headers)
    client.post(f"{url}/revisions/1/restore", headers=auth.headers)
    client.delete(url, headers=auth.headers)
    client.delete(f"{url}?purge=true", headers=auth.headers)
    items = feed(client, auth)["items"]
    assert [item["action"] for item in items] == [
        "create", "update", "hide", "update", "show", "delete", "restore", "update", "delete", "purge"]
    seqs = [item["seq"] for item in items]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert {item["post_id"] for item in items} == {post["id"]}
    assert all(item["post"] is None for item in items), "purged: no state to show"
    assert all(item["at"].endswith("Z") for item in items)


def test_since_limit_and_next_since_page_through_the_feed(client, auth):
    for n in range(5):
        auth.create_post(content=f"p{n}")
    first = feed(client, auth, limit=2)
    assert len(first["items"]) == 2 and first["next_since"] == first["items"][-1]["seq"]
    rest = feed(client, auth, since=first["next_since"])
    assert len(rest["items"]) == 3
    empty = feed(client, auth, since=rest["next_since"])
    assert empty == {"items": [], "next_since": rest["next_since"]}
    for query in ("limit=0", "limit=1001", "since=-1", "since=x"):
        assert_problem(client.get(f"/api/v1/admin/changes?{query}", headers=auth.headers), 422)


def test_replaying_the_feed_from_zero_rebuilds_the_admin_view(client, auth):
    kept = auth.create_post(content="kept", tags=["a"])
    hidden = auth.create_post(content="hidden")
    gone = auth.create_post(content="gone")
    purged = auth.create_post(content="purged")
    client.patch(f"{POSTS}/{kept['id']}", json={"title": "Kept"}, headers=auth.headers)
    client.patch(f"{POSTS}/{hidden['id']}", json={"visible": False}, headers=auth.headers)
    client.delete(f"{POSTS}/{gone['id']}", headers=auth.headers)
    client.delete(f"{POSTS}/{purged['id']}", headers=auth.headers)
    client.delete(f"{POSTS}/{purged['id']}?purge=true", headers=auth.headers)
    mirror, since = {}, 0
    while True:
        page = feed(client, auth, since=since, limit=2)
        if not page["items"]:
            break
        for item in page["items"]:
            if item["post"] is None:
                mirror.pop(item["post_id"], None)
            else:
                mirror[item["post_id"]] = item["post"]
        since = page["next_since"]
    admin = client.get(f"{POSTS}?deleted=include&limit=100", headers=auth.headers).get_json()["items"]
    assert mirror == {post["id"]: post for post in admin}


def test_no_change_becomes_visible_below_a_seq_a_poller_already_passed(app):
    """Writer A takes a seq and stays open; writer B then writes and commits; a poller reads in
    between. Had B's later seq become visible first, the poller would skip A's change forever."""
    a_recorded, polled = threading.Event(), threading.Event()

    def writer_a():
        with app.app_context(), write_transaction():
            history.record_change(1, "update", utcnow(), None, None)
            a_recorded.set()
            polled.wait(timeout=5)

    def writer_b():
        a_recorded.wait(timeout=5)
        with app.app_context(), write_transaction():
            history.record_change(2, "update", utcnow(), None, None)

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for thread in threads:
        thread.start()
    a_recorded.wait(timeout=5)
    time.sleep(0.3)  # B has run as far as the database lets it
    with app.app_context():
        first, passed = history.changes(0, 100)
    polled.set()
    for thread in threads:
        thread.join()
    with app.app_context():
        everything, _ = history.changes(0, 100)
    assert [c.post_id for c in everything] == [1, 2]
    missed = [c.seq for c in everything if c.seq <= passed and c.seq not in {f.seq for f in first}]
    assert missed == []


def test_concurrent_creates_with_the_same_title_all_get_their_own_slug(app, client, auth):
    def create(_n):
        with app.test_client() as own:
            return own.post(POSTS, json={"content": "x", "title": "Same title"}, headers=auth.headers)

    responses = in_threads(6, create)
    assert [r.status_code for r in responses] == [201] * 6
    assert len({r.get_json()["slug"] for r in responses}) == 6


def test_an_import_and_an_edit_at_once_both_succeed(app, client, auth):
    post = auth.create_post(content="original")
    dump = client.get("/api/v1/admin/export", headers=auth.headers).get_data()

    def work(n):
        with app.test_client() as own:
            if n == 0:
                return own.post("/api/v1/admin/import", data=dump, content_type="application/x-ndjson",
                                headers=auth.headers).status_code
            return own.patch(f"{POSTS}/{post['id']}", json={"title": f"t{n}"}, headers=auth.headers).status_code

    assert in_threads(4, work) == [200, 200, 200, 200]


def test_a_taken_over_claim_cannot_complete_so_one_post_is_made(app, client, auth):
    """A request whose claim a retry took over (its worker stalled past ABANDONED_AFTER) does
    not also create its post: only the current claim completes, the stale one gets 409."""
    body = {"content": "made once"}
    stalled_since = utcnow() - idempotency.ABANDONED_AFTER - timedelta(seconds=1)
    with app.app_context():
        stalled = idempotency.claim("twice", _hash_of(app, body), timedelta(hours=24), now=stalled_since)
    headers = {**auth.headers, "Idempotency-Key": "twice"}
    retried = client.post(POSTS, json=body, headers=headers)
    assert retried.status_code == 201
    with app.app_context():
        with pytest.raises(errors.Conflict):
            posts.create_post(body, claim=stalled)
        idempotency.release(stalled)  # the stalled request's clean-up leaves the retry's key alone
    listed = client.get(f"{POSTS}?limit=100", headers=auth.headers).get_json()["items"]
    assert [post["content"] for post in listed].count("made once") == 1
    assert client.post(POSTS, json=body, headers=headers).get_json() == retried.get_json()
