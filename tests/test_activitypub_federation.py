"""Being followed and read, tested as a fediverse server would: a remote server on loopback
(tests/peers/fediverse.py, its own RSA key, signing and verifying with `cryptography` alone)
finds the actor, follows, and receives what the delivery worker sends; pyhttpsig, an independent
HTTP Signatures library, checks the same signatures."""
import base64
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone

import httpsig
import pytest
from cryptography.hazmat.primitives import serialization

from microblog.data.models import Delivery, Follower, RemoteKey
from tests.activitypub_helpers import AP, BASE, PUBLIC, SETTINGS, follow, our_key, wait_for
from tests.peers.fediverse import Fediverse, new_key, verify_request


@pytest.fixture
def app(make_ready_app):
    return make_ready_app(**SETTINGS)


def count(app, model):
    with app.app_context():
        return model.select().count()


def checked(client, received):
    """The request verifies with the actor's key, by this test's code and by pyhttpsig."""
    key = our_key(client)
    headers = {name: value for name, value in received.headers.items()}
    assert verify_request(key, "POST", received.path, headers, received.body) is None
    verifier = httpsig.HeaderVerifier(headers={name.lower(): value for name, value in headers.items()}, secret=key,
                                      required_headers=["(request-target)", "host", "date", "digest"],
                                      method="POST", path=received.path, sign_header="signature")
    assert verifier.verify()
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(received.body).digest()).decode()
    return received.activity


def test_a_remote_server_follows_gets_a_signed_accept_then_the_posts_life(app, client, auth, remote, run_worker):
    response = follow(client, remote)
    assert response.status_code == 202
    assert client.get("/actor/followers", headers=AP).get_json()["totalItems"] == 1
    run_worker(app)
    accept = wait_for(lambda: [item for item in remote.received if item.activity["type"] == "Accept"])[0]
    assert accept.path == "/users/u0/inbox"
    activity = checked(client, accept)
    assert activity["actor"] == BASE + "actor" and activity["object"] == remote.follow(BASE + "actor")

    post = auth.create_post(content="Hello #fediverse", tags=["fediverse"])
    create = wait_for(lambda: [item for item in remote.received if item.activity["type"] == "Create"])[0]
    assert create.path == "/inbox"  # the shared inbox
    note = checked(client, create)["object"]
    assert note["content"].startswith("<p>Hello") and note["to"] == [PUBLIC]
    assert note["cc"] == [BASE + "actor/followers"] and note["url"] == f"{BASE}posts/{post['slug']}"

    assert client.patch(f"/api/v1/admin/posts/{post['id']}", json={"content": "Edited"},
                        headers=auth.headers).status_code == 200
    update = checked(client, wait_for(lambda: [i for i in remote.received if i.activity["type"] == "Update"])[0])
    assert update["object"]["id"] == note["id"] and update["object"]["source"]["content"] == "Edited"
    assert update["object"]["updated"].endswith("Z")

    assert client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).status_code == 204
    delete = checked(client, wait_for(lambda: [i for i in remote.received if i.activity["type"] == "Delete"])[0])
    assert delete["object"] == {"id": note["id"], "type": "Tombstone"}

    assert client.post(f"/api/v1/admin/posts/{post['id']}/restore", headers=auth.headers).status_code == 200
    creates = wait_for(lambda: [i.activity for i in remote.received if i.activity["type"] == "Create"][1:])
    assert creates[0]["object"]["id"] != note["id"]  # a new object: remote deletes are for good
    assert client.get(f"/posts/{post['slug']}", headers=AP).get_json()["id"] == creates[0]["object"]["id"]


def test_a_scheduled_post_arrives_when_due_and_a_hidden_one_never(app, client, auth, remote, run_worker):
    assert follow(client, remote).status_code == 202
    due = datetime.now(timezone.utc) + timedelta(seconds=3)
    auth.create_post(content="hidden marker", visible=False)
    auth.create_post(content="scheduled marker", publish_at=due.isoformat().replace("+00:00", "Z"))
    run_worker(app)
    create = wait_for(lambda: [i for i in remote.received if i.activity["type"] == "Create"])[0]
    assert time.time() >= due.timestamp() - 0.5
    assert create.activity["object"]["source"]["content"] == "scheduled marker"
    time.sleep(0.5)
    assert not any(b"hidden marker" in item.body for item in remote.received)


def test_after_undo_nothing_more_arrives(app, client, auth, remote, run_worker):
    assert follow(client, remote).status_code == 202
    undo = {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.actor + "/undo/1", "type": "Undo",
            "actor": remote.actor, "object": remote.follow(BASE + "actor")}
    body, headers = remote.signed("/inbox", undo)
    assert client.post("/inbox", data=body, headers=headers).status_code == 202
    assert count(app, Follower) == 0
    auth.create_post(content="after the undo")
    run_worker(app)
    wait_for(lambda: remote.received)  # the Accept (planned before the Undo)
    time.sleep(1)
    assert [item.activity["type"] for item in remote.received] == ["Accept"]
    with app.app_context():
        assert not Delivery.select().where(Delivery.kind == "ap-create").exists()


def test_an_activity_signed_by_pyhttpsig_is_taken(app, client, remote):
    """The inbox reads signatures made by an independent library, not only by our peer's code."""
    body = json.dumps(remote.follow(BASE + "actor")).encode()
    headers = {"Host": "localhost", "Date": datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT"),
               "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
               "Content-Type": "application/activity+json"}
    private = remote.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    signer = httpsig.HeaderSigner(remote.key_id, private, algorithm="rsa-sha256",
                                  headers=["(request-target)", "host", "date", "digest"], sign_header="signature")
    signed = signer.sign(headers, host="localhost", method="POST", path="/actor/inbox")
    assert client.post("/actor/inbox", data=body, headers=signed).status_code == 202
    assert count(app, Follower) == 1


def bad_requests(remote, other):
    activity = remote.follow(BASE + "actor")
    stale = datetime.now(timezone.utc) - timedelta(hours=13)
    body, headers = remote.signed("/actor/inbox", activity)
    yield "wrong key", *remote.signed("/actor/inbox", activity, key=new_key())
    yield "tampered body", body.replace(b"Follow", b"Like"), headers
    yield "stale date", *remote.signed("/actor/inbox", activity, date=stale)
    no_digest = remote.signed("/actor/inbox", activity, digest=False)
    yield "missing digest", *no_digest
    yield "digest not signed", body, {**remote.signed("/actor/inbox", activity, covered=[
        "(request-target)", "host", "date"])[1], "Digest": headers["Digest"]}
    yield "another actor's key", *remote.signed("/actor/inbox", activity, key=other.key, key_id=other.key_id)
    yield "unsigned", body, {"Content-Type": "application/activity+json"}


def test_bad_signatures_are_401_and_store_nothing(app, client, remote):
    other = Fediverse(name="u1").start()
    try:
        for reason, body, headers in bad_requests(remote, other):
            response = client.post("/actor/inbox", data=body, headers=headers)
            assert response.status_code == 401, reason
            assert count(app, Follower) == 0 and count(app, Delivery) == 0, reason
        assert count(app, RemoteKey) == 0
    finally:
        other.stop()


def test_a_key_at_a_private_address_is_401_when_loopback_is_not_allowed(make_ready_app, remote):
    client = make_ready_app(PUBLIC_BASE_URL=BASE).test_client()
    body, headers = remote.signed("/actor/inbox", remote.follow(BASE + "actor"))
    assert client.post("/actor/inbox", data=body, headers=headers).status_code == 401
    assert remote.received == []


def test_a_delete_from_an_actor_never_seen_is_202_without_a_fetch(app, client):
    stranger = Fediverse(host="127.0.0.4")  # never started: a fetch would fail
    activity = {"id": stranger.actor + "#delete", "type": "Delete", "actor": stranger.actor, "object": stranger.actor}
    body, headers = stranger.signed("/inbox", activity)
    assert client.post("/inbox", data=body, headers=headers).status_code == 202
    stranger.server.server_close()


def test_an_inbox_that_fails_then_recovers_gets_each_activity_once(app, client, auth, remote, run_worker):
    assert follow(client, remote).status_code == 202
    remote.fail_next = [500, 500]
    auth.create_post(content="once")
    run_worker(app)
    wait_for(lambda: [i for i in remote.received if i.activity["type"] == "Create"])
    time.sleep(1)
    kinds = sorted(item.activity["type"] for item in remote.received)
    assert kinds == ["Accept", "Create"]


def test_a_thousand_followers_on_fifty_servers_get_one_delivery_per_shared_inbox(app, client, auth, remote,
                                                                                 run_worker):
    with app.app_context():
        Follower.insert_many([{"actor": f"{remote.origin}/users/f{n}", "inbox": f"{remote.origin}/users/f{n}/inbox",
                               "shared_inbox": f"{remote.origin}/inbox?server={n % 50}",
                               "follow_id": f"{remote.origin}/follows/{n}", "host": "127.0.0.3"}
                              for n in range(1000)]).execute()
    auth.create_post(content="to many")
    with app.app_context():
        assert Delivery.select().where(Delivery.kind == "ap-create").count() == 50
    run_worker(app)
    wait_for(lambda: len(remote.received) >= 50, timeout=60)
    time.sleep(0.5)
    assert sorted(item.path for item in remote.received) == sorted(f"/inbox?server={n}" for n in range(50))


def test_oversized_bodies_are_413(app, client, remote):
    activity = remote.follow(BASE + "actor") | {"padding": "x" * 300_000}
    body, headers = remote.signed("/actor/inbox", activity)
    assert client.post("/actor/inbox", data=body, headers=headers).status_code == 413
    assert count(app, Follower) == 0


def test_an_unsigned_post_is_401_whatever_its_body(app, client):
    """As fediverse-pasture's unsigned actors post: 401 before the body is judged."""
    for body in (b'{"@context": "https://www.w3.org/ns/activitystreams", "type": "EchoRequest"}', b"not json"):
        assert client.post("/inbox", data=body, headers={"Content-Type": "application/activity+json"}).status_code == 401


def test_a_signature_over_the_public_host_holds_behind_a_proxy_that_changed_host(make_ready_app, remote):
    """The sender signed `host: blog.example`; the proxy in front passed `Host: 127.0.0.1:8000`."""
    client = make_ready_app(PUBLIC_BASE_URL="https://blog.example/", OUTBOUND_ALLOW_LOOPBACK=True).test_client()
    body, headers = remote.signed("/actor/inbox", remote.follow("https://blog.example/actor"), host="blog.example")
    headers.pop("Host")
    response = client.post("/actor/inbox", data=body, headers=headers, base_url="http://127.0.0.1:8000")
    assert response.status_code == 202
    forged = {**headers, "Signature": headers["Signature"].replace('signature="', 'signature="AAAA')}
    assert client.post("/actor/inbox", data=body, headers=forged, base_url="http://127.0.0.1:8000").status_code == 401
