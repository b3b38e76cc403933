"""The fediverse's admin API (followers, blocked domains, a post's deliveries, re-sending), and
RFC 9421 signatures taken at the inbox."""
import base64
import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from microblog.data.models import Delivery, Follower
from tests.activitypub_helpers import BASE, SETTINGS, follow, wait_for


@pytest.fixture
def app(make_ready_app):
    return make_ready_app(**SETTINGS)

ADMIN = "/api/v1/admin/fediverse"


def test_followers_are_listed_to_the_admin_and_removed_with_a_reject(app, client, auth, remote, run_worker):
    assert follow(client, remote).status_code == 202
    assert client.get(f"{ADMIN}/followers").status_code == 401
    listed = client.get(f"{ADMIN}/followers", headers=auth.headers).get_json()
    assert [item["actor"] for item in listed["items"]] == [remote.actor] and listed["next_after"] is None
    assert listed["items"][0]["shared_inbox"] == remote.shared_inbox
    follower_id = listed["items"][0]["id"]
    assert client.delete(f"{ADMIN}/followers/{follower_id}", headers=auth.headers).status_code == 204
    assert client.delete(f"{ADMIN}/followers/{follower_id}", headers=auth.headers).status_code == 404
    run_worker(app)
    reject = wait_for(lambda: remote.activities("Reject"))[0]
    assert reject["object"]["id"] == remote.follow(BASE + "actor")["id"]
    assert client.get("/actor/followers", headers={"Accept": "application/activity+json"}).get_json()[
        "totalItems"] == 0


def test_a_blocked_domain_is_refused_and_loses_its_followers(app, client, auth, remote):
    assert follow(client, remote).status_code == 202
    assert client.put(f"{ADMIN}/blocked-domains/127.0.0.3", headers=auth.headers).status_code == 204
    assert client.put(f"{ADMIN}/blocked-domains/not a domain", headers=auth.headers).status_code == 422
    with app.app_context():
        assert Follower.select().count() == 0
    assert follow(client, remote).status_code == 403
    assert [item["domain"] for item in client.get(f"{ADMIN}/blocked-domains", headers=auth.headers)
            .get_json()["items"]] == ["127.0.0.3"]
    assert client.delete(f"{ADMIN}/blocked-domains/127.0.0.3", headers=auth.headers).status_code == 204
    assert follow(client, remote).status_code == 202


def test_a_posts_delivery_status_and_a_resend(app, client, auth, remote, run_worker):
    assert follow(client, remote).status_code == 202
    post = auth.create_post(content="status")
    status = client.get(f"{ADMIN}/posts/{post['id']}/deliveries", headers=auth.headers).get_json()
    assert status["counts"]["pending"] == 1 and status["items"][0]["kind"] == "ap-create"
    run_worker(app)
    wait_for(lambda: remote.activities("Create"))
    wait_for(lambda: client.get(f"{ADMIN}/posts/{post['id']}/deliveries", headers=auth.headers)
             .get_json()["counts"]["done"] == 1)
    assert client.post(f"{ADMIN}/posts/{post['id']}/resend", headers=auth.headers).get_json() == {"deliveries": 1}
    wait_for(lambda: len(remote.activities("Create")) == 2)
    hidden = auth.create_post(content="hidden", visible=False)
    assert client.post(f"{ADMIN}/posts/{hidden['id']}/resend", headers=auth.headers).status_code == 409
    assert client.get(f"{ADMIN}/posts/999/deliveries", headers=auth.headers).status_code == 404


def test_an_rfc_9421_signature_is_taken(app, client, remote):
    """As Mastodon 4.5 signs: @method, @target-uri and content-digest, created and keyid."""
    body = json.dumps(remote.follow(BASE + "actor")).encode()
    content_digest = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
    params = f'("@method" "@target-uri" "content-digest");created={int(time.time())};keyid="{remote.key_id}"'
    base = (f'"@method": POST\n"@target-uri": {BASE}actor/inbox\n"content-digest": {content_digest}\n'
            f'"@signature-params": {params}')
    signature = base64.b64encode(remote.key.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers = {"Content-Digest": content_digest, "Signature-Input": f"sig1={params}", "Signature": f"sig1=:{signature}:",
               "Content-Type": "application/activity+json"}
    assert client.post("/actor/inbox", data=body, headers=headers).status_code == 202
    tampered = body.replace(b"Follow", b"Like")
    assert client.post("/actor/inbox", data=tampered, headers=headers).status_code == 401
    wrong = base64.b64encode(remote.key.sign(b"else", padding.PKCS1v15(), hashes.SHA256())).decode()
    assert client.post("/actor/inbox", data=body, headers={**headers, "Signature": f"sig1=:{wrong}:"}).status_code == 401
    with app.app_context():
        assert Follower.select().count() == 1 and Delivery.select().count() == 1
