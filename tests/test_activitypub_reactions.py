"""Replies, likes and boosts from the fediverse, signed by a remote server on loopback
(tests/peers/fediverse.py), shown on the post's page as received Webmentions are: counted with
them, sanitized, under the admin's moderation, withdrawn by Undo and Delete."""
import pytest
from lxml import html as lxml_html

from microblog.data.models import Change, Mention
from tests.activitypub_helpers import BASE, SETTINGS, wait_for
from tests.conftest import AuthActions

ADMIN = "/api/v1/admin/mentions"


@pytest.fixture
def app(make_ready_app):
    return make_ready_app(**SETTINGS)


@pytest.fixture
def post(auth):
    return auth.create_post(content="A post to react to", slug="hello")


PAGE = f"{BASE}posts/hello"


def deliver(client, remote, activity):
    body, headers = remote.signed("/inbox", activity)
    response = client.post("/inbox", data=body, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)


def reply(remote, number=1, content="<p>Nice post</p>", in_reply_to=PAGE, **fields):
    note = {"id": f"{remote.actor}/statuses/{number}", "type": "Note", "attributedTo": remote.actor,
            "inReplyTo": in_reply_to, "content": content, "url": f"{remote.origin}/@{remote.name}/{number}",
            "published": "2026-12-01T10:00:00Z", **fields}
    return {"id": note["id"] + "/activity", "type": "Create", "actor": remote.actor, "object": note}


def like(remote, number=1, kind="Like", target=PAGE):
    return {"id": f"{remote.actor}#{kind.lower()}s/{number}", "type": kind, "actor": remote.actor, "object": target}


def undo(remote, activity):
    return {"id": activity["id"] + "/undo", "type": "Undo", "actor": remote.actor, "object": activity}


def page_of(client, slug="hello"):
    response = client.get(f"/posts/{slug}")
    assert response.status_code == 200
    return lxml_html.fromstring(response.data)


def counts(client):
    found = page_of(client).xpath('//p[@class="counts"]')
    return found[0].text_content() if found else ""


def replies(client):
    return [item.text_content() for item in page_of(client).xpath('//ol[@class="mentions"]/li')]


def test_likes_boosts_and_a_reply_show_at_once_counted_and_sanitized(app, client, post, remote):
    assert counts(client) == "" and replies(client) == []  # the page is in the reader cache now
    deliver(client, remote, like(remote))
    deliver(client, remote, like(remote, kind="Announce"))
    deliver(client, remote, reply(remote, content='<p>Nice <b>post</b><script>alert(1)</script>'
                                                  '<a href="javascript:alert(2)">x</a></p>'))
    assert counts(client) == "1 like · 1 repost"
    [shown] = replies(client)
    assert "Nice post" in shown and "alert" not in shown
    html = client.get("/posts/hello").get_data(as_text=True)
    assert "<script>" not in html and "javascript:" not in html and "<b>post</b>" in html
    author = page_of(client).xpath('//li[contains(@class, "reply")]//p[@class="meta"]/a')[0]
    assert author.get("href") == remote.actor and author.text == f"@u0@{remote.origin.split('//')[1]}"
    assert author.get("rel") == "nofollow ugc"
    assert page_of(client).xpath('//li[contains(@class, "reply")]//time')[0].get("datetime") == "2026-12-01T10:00:00Z"
    deliver(client, remote, like(remote))  # a repeat is the same mention
    deliver(client, remote, reply(remote, content="<p>Nice post, edited</p>") | {"type": "Update"})
    assert counts(client) == "1 like · 1 repost" and "edited" in replies(client)[0]
    with app.app_context():
        assert Mention.select().count() == 3
        assert Change.select().where(Change.action == "mention").count() == 4


def test_fediverse_likes_are_counted_with_webmention_likes(app, client, post, remote, site, run_worker):
    source = site.page("/like", f'<div class="h-entry"><a class="u-like-of" href="{PAGE}">liked</a></div>')
    run_worker(app)
    assert client.post("/webmention", data={"source": source, "target": PAGE}).status_code == 202
    wait_for(lambda: "1 like" in counts(client))
    deliver(client, remote, like(remote))
    assert counts(client) == "2 likes"


def test_undo_and_delete_withdraw_them_and_no_one_else_can(app, client, post, remote):
    from tests.peers.fediverse import Fediverse

    liked, boosted, replied = like(remote), like(remote, kind="Announce"), reply(remote)
    for activity in (liked, boosted, replied):
        deliver(client, remote, activity)
    other = Fediverse(host="127.0.0.4", name="mallory").start()
    try:
        stolen = {**undo(other, liked), "object": {**liked, "actor": other.actor}}
        deliver(client, other, stolen)
        deliver(client, other, {"id": other.actor + "#delete", "type": "Delete", "actor": other.actor,
                                "object": replied["object"]["id"]})
        assert counts(client) == "1 like · 1 repost" and len(replies(client)) == 1
    finally:
        other.stop()
    deliver(client, remote, undo(remote, liked))
    assert counts(client) == "1 repost"
    deliver(client, remote, undo(remote, boosted))
    assert counts(client) == ""
    deliver(client, remote, {"id": remote.actor + "#delete/1", "type": "Delete", "actor": remote.actor,
                             "object": {"id": replied["object"]["id"], "type": "Tombstone"}})
    assert replies(client) == [] and "Responses" not in client.get("/posts/hello").get_data(as_text=True)


def test_the_admin_hides_deletes_and_blocks_them(app, client, auth, post, remote):
    deliver(client, remote, reply(remote, content="<p>Visible words</p>"))
    deliver(client, remote, like(remote))
    assert "Visible words" in replies(client)[0]
    items = client.get(f"{ADMIN}?post_id={post['id']}", headers=auth.headers).get_json()["items"]
    assert sorted((item["kind"], item["author_url"]) for item in items) == [("like", remote.actor),
                                                                          ("reply", remote.actor)]
    reply_id = next(item["id"] for item in items if item["kind"] == "reply")
    assert client.patch(f"{ADMIN}/{reply_id}", json={"status": "hidden"}, headers=auth.headers).status_code == 200
    assert replies(client) == [] and counts(client) == "1 like"
    deliver(client, remote, reply(remote, content="<p>Visible words again</p>"))  # an edit keeps it hidden
    assert replies(client) == []
    assert client.delete(f"{ADMIN}/{reply_id}", headers=auth.headers).status_code == 204
    assert client.put(f"{ADMIN}/blocks/127.0.0.3", headers=auth.headers).status_code == 200
    assert counts(client) == ""
    deliver(client, remote, like(remote, number=2))  # refused from a blocked domain, still answered 202
    assert counts(client) == ""
    assert client.delete(f"{ADMIN}/blocks/127.0.0.3", headers=auth.headers).status_code == 204
    deliver(client, remote, like(remote, number=3))
    assert counts(client) == "1 like"
    assert client.put("/api/v1/admin/fediverse/blocked-domains/127.0.0.3", headers=auth.headers).status_code == 204
    assert counts(client) == ""


def test_they_wait_for_approval_when_asked(make_ready_app, remote):
    app = make_ready_app(**SETTINGS, MENTIONS_NEED_APPROVAL=True)
    client, admin = app.test_client(), AuthActions(app.test_client())
    admin.create_post(content="x", slug="hello")
    deliver(client, remote, reply(remote, content="<p>Held back</p>"))
    assert replies(client) == []
    [pending] = admin.client.get(f"{ADMIN}?status=pending", headers=admin.headers).get_json()["items"]
    assert admin.client.patch(f"{ADMIN}/{pending['id']}", json={"status": "shown"},
                              headers=admin.headers).status_code == 200
    assert "Held back" in replies(client)[0]


def test_nothing_is_kept_for_a_post_readers_cannot_see_or_from_an_id_elsewhere(app, client, auth, post, remote):
    hidden = auth.create_post(content="hidden", visible=False)
    scheduled = auth.create_post(content="later", publish_at="2099-01-01T00:00:00Z")
    deleted = auth.create_post(content="gone")
    assert client.delete(f"/api/v1/admin/posts/{deleted['id']}", headers=auth.headers).status_code == 204
    for number, other in enumerate((hidden, scheduled, deleted)):
        deliver(client, remote, like(remote, number=10 + number, target=f"{BASE}posts/{other['slug']}"))
        deliver(client, remote, reply(remote, number=10 + number, in_reply_to=f"{BASE}ap/posts/{other['id']}/1"))
    elsewhere = {**like(remote, number=20), "id": "https://victim.example/likes/1"}
    deliver(client, remote, elsewhere)
    foreign = reply(remote, number=21)
    foreign["object"]["attributedTo"] = "https://someone.example/users/else"
    deliver(client, remote, foreign)
    with app.app_context():
        assert Mention.select().count() == 0
    assert client.patch(f"/api/v1/admin/posts/{hidden['id']}", json={"visible": True},
                        headers=auth.headers).status_code == 200
    assert counts(client) == "" and "Responses" not in client.get(f"/posts/{hidden['slug']}").get_data(as_text=True)


def test_a_reply_to_the_posts_object_id_counts_too(app, client, post, remote):
    deliver(client, remote, reply(remote, in_reply_to=f"{BASE}ap/posts/{post['id']}/1"))
    deliver(client, remote, like(remote, kind="Announce", target=f"{BASE}ap/posts/{post['id']}/1"))
    assert counts(client) == "1 repost" and len(replies(client)) == 1


def test_a_webmention_naming_one_as_its_source_changes_nothing(app, client, auth, post, remote, run_worker):
    replied = reply(remote, content="<p>From the fediverse</p>")
    deliver(client, remote, replied)
    remote.pages["/users/u0/statuses/1"] = "<p>A page that links nowhere</p>"
    run_worker(app)
    sent = client.post("/webmention", data={"source": replied["object"]["id"], "target": PAGE})
    assert sent.status_code == 202
    status = wait_for(lambda: (found := client.get(sent.headers["Location"]).get_json())["status"] != "queued"
                      and found)
    assert status["status"] == "rejected" and "fediverse" in status["detail"]
    assert "From the fediverse" in replies(client)[0]
    [kept] = client.get(f"{ADMIN}?via=activitypub", headers=auth.headers).get_json()["items"]
    assert kept["source"] == replied["object"]["id"] and kept["via"] == "activitypub"
    assert client.get(f"{ADMIN}?via=webmention", headers=auth.headers).get_json()["items"] == []


def test_export_and_import_carry_them_as_fediverse_responses(app, client, auth, post, remote):
    from tests.transfer_helpers import export, import_

    deliver(client, remote, reply(remote, content="<p>Carried over</p>"))
    deliver(client, remote, like(remote))
    exported = export(client, auth).decode()
    for item in client.get(ADMIN, headers=auth.headers).get_json()["items"]:
        assert client.delete(f"{ADMIN}/{item['id']}", headers=auth.headers).status_code == 204
    assert counts(client) == "" and replies(client) == []
    assert import_(client, auth, exported).get_json()["mention"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert counts(client) == "1 like" and "Carried over" in replies(client)[0]
    deliver(client, remote, undo(remote, like(remote)))  # still the actor's to withdraw
    assert counts(client) == ""
    older = exported.replace('"via":"activitypub",', "")  # a file from before `via`: Webmentions
    assert '"via"' not in older
    assert import_(client, auth, older).status_code == 200
    assert {item["via"] for item in client.get(ADMIN, headers=auth.headers).get_json()["items"]} == {"webmention"}


def test_nul_characters_never_reach_the_database(app, client, post, remote):
    """PostgreSQL refuses NUL in text: a reply's NULs are dropped, an id with one is ignored."""
    deliver(client, remote, reply(remote, content="<p>before\u0000after</p>"))
    deliver(client, remote, {**like(remote), "id": remote.actor + "#likes/\u0000"})
    assert "beforeafter" in replies(client)[0] and counts(client) == ""
    body, headers = remote.signed("/inbox", {"id": "http://x.example/d", "type": "Delete",
                                             "actor": "http://x.example/\u0000", "object": "http://x.example/\u0000"})
    assert client.post("/inbox", data=body, headers=headers).status_code == 422  # no actor: not a 500
