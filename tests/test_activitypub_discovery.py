"""Being found on the fediverse: WebFinger, the actor, content negotiation on posts, NodeInfo
and the outbox, checked as a remote server reads them (JSON through HTTP, no project code)."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BASE = "https://blog.example:8443/"
ACTOR = BASE + "actor"
AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def app(make_ready_app):
    return make_ready_app(PUBLIC_BASE_URL=BASE, SITE_AUTHOR="Ada", SITE_DESCRIPTION="Notes on engines")


def test_webfinger_finds_the_admin_by_handle_with_the_port_and_open_cors(client):
    response = client.get("/.well-known/webfinger?resource=acct:admin@blog.example:8443")
    assert response.status_code == 200
    assert response.mimetype == "application/jrd+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["subject"] == "acct:admin@blog.example:8443"
    assert ACTOR in body["aliases"]
    assert {"rel": "self", "type": "application/activity+json", "href": ACTOR} in body["links"]


@pytest.mark.parametrize("resource", ["acct:someone@blog.example:8443", "acct:admin@other.example",
                                      "acct:admin@blog.example", "https://elsewhere.example/actor"])
def test_webfinger_answers_404_for_any_other_resource(client, resource):
    assert client.get(f"/.well-known/webfinger?resource={resource}").status_code == 404


def test_webfinger_username_follows_the_setting(make_ready_app):
    client = make_ready_app(PUBLIC_BASE_URL="https://blog.example/", FEDIVERSE_USERNAME="ada").test_client()
    assert client.get("/.well-known/webfinger?resource=acct:ada@blog.example").status_code == 200
    assert client.get("/.well-known/webfinger?resource=acct:admin@blog.example").status_code == 404
    assert client.get("/actor", headers=AP).get_json()["preferredUsername"] == "ada"


def test_without_a_public_base_url_the_site_is_not_on_the_fediverse(make_ready_app):
    client = make_ready_app().test_client()
    assert client.get("/.well-known/webfinger?resource=acct:admin@localhost").status_code == 404
    assert client.get("/actor", headers=AP).status_code == 404


@pytest.mark.parametrize("accept", [AP, LD])
def test_the_actor_is_a_person_with_a_key_of_at_least_2048_bits(client, accept):
    response = client.get("/actor", headers=accept)
    assert response.status_code == 200
    assert response.mimetype == "application/activity+json"
    assert "Accept" in response.vary
    actor = response.get_json()
    assert actor["@context"] == ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    assert actor["type"] == "Person" and actor["id"] == ACTOR
    assert actor["preferredUsername"] == "admin" and actor["name"] == "Ada"
    assert actor["summary"] == "Notes on engines" and actor["url"] == BASE
    assert actor["icon"]["url"].startswith(BASE)
    assert actor["inbox"] == ACTOR + "/inbox" and actor["outbox"] == ACTOR + "/outbox"
    assert actor["followers"] == ACTOR + "/followers" and actor["following"] == ACTOR + "/following"
    assert actor["endpoints"]["sharedInbox"] == BASE + "inbox"
    assert actor["manuallyApprovesFollowers"] is False and actor["discoverable"] is True
    assert actor["published"].endswith("Z")
    key = actor["publicKey"]
    assert key["id"] == ACTOR + "#main-key" and key["owner"] == ACTOR
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048


def test_the_key_is_made_once(client):
    first = client.get("/actor", headers=AP).get_json()["publicKey"]["publicKeyPem"]
    assert client.get("/actor", headers=AP).get_json()["publicKey"]["publicKeyPem"] == first


def test_a_browser_at_the_actor_goes_to_the_home_page(client):
    response = client.get("/actor", headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"] == BASE


def test_a_post_url_answers_a_server_with_its_note_and_a_browser_with_the_page(client, auth):
    post = auth.create_post(content="Hello *fediverse* #engines", tags=["engines"])
    page = client.get(f"/posts/{post['slug']}", headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html" and "Accept" in page.vary
    for accept in (AP, LD):
        response = client.get(f"/posts/{post['slug']}", headers=accept)
        assert response.status_code == 200 and response.mimetype == "application/activity+json"
        assert "Accept" in response.vary
        note = response.get_json()
        assert note["type"] == "Note" and note["attributedTo"] == ACTOR
        assert note["to"] == [PUBLIC] and note["cc"] == [ACTOR + "/followers"]
        assert "<em>fediverse</em>" in note["content"]
        assert note["source"] == {"content": "Hello *fediverse* #engines", "mediaType": "text/markdown"}
        assert note["url"] == f"{BASE}posts/{post['slug']}"
        assert note["tag"] == [{"type": "Hashtag", "href": BASE + "tags/engines", "name": "#engines"}]
        assert note["sensitive"] is False and note["published"].endswith("Z")
    again = client.get(f"/posts/{post['slug']}", headers=BROWSER)  # the reader cache kept both apart
    assert again.mimetype == "text/html"
    assert client.get(note["id"].removeprefix(BASE.rstrip("/")), headers=AP).get_json()["id"] == note["id"]


def test_a_titled_post_is_an_article(client, auth):
    post = auth.create_post(title="On engines", content="Long read")
    note = client.get(f"/posts/{post['slug']}", headers=AP).get_json()
    assert note["type"] == "Article" and note["name"] == "On engines"


def test_nodeinfo_is_discovered_and_counts_public_posts(client, auth):
    auth.create_post(content="one")
    auth.create_post(content="hidden", visible=False)
    links = client.get("/.well-known/nodeinfo").get_json()["links"]
    assert links[0]["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    assert links[0]["href"] == BASE + "nodeinfo/2.1"
    info = client.get("/nodeinfo/2.1").get_json()
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["software"]["name"] == "microblog" and info["usage"]["localPosts"] == 1


def test_the_outbox_pages_the_public_posts_creates(client, auth):
    made = [auth.create_post(content=f"post {number}") for number in range(25)]
    auth.create_post(content="secret", visible=False)
    collection = client.get("/actor/outbox", headers=AP).get_json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 25
    url, seen = collection["first"], []
    while url:
        page = client.get(url.removeprefix(BASE.rstrip("/")), headers=AP).get_json()
        assert page["type"] == "OrderedCollectionPage"
        seen += page["orderedItems"]
        url = page.get("next")
    assert len(seen) == 25
    assert all(item["type"] == "Create" and item["actor"] == ACTOR for item in seen)
    assert [item["object"]["source"]["content"] for item in seen] == [post["content"] for post in reversed(made)]


def test_followers_and_following_give_counts_only(client):
    followers = client.get("/actor/followers", headers=AP).get_json()
    assert followers == {"@context": followers["@context"], "id": ACTOR + "/followers",
                         "type": "OrderedCollection", "totalItems": 0}
    assert client.get("/actor/following", headers=AP).get_json()["totalItems"] == 0


@pytest.mark.parametrize("change", ["hide", "delete", "schedule"])
def test_a_post_not_public_has_no_object(client, auth, change):
    fields = {"content": "soon"} | ({"publish_at": "2099-01-01T00:00:00Z"} if change == "schedule" else {})
    post = auth.create_post(**fields)
    if change == "hide":
        assert client.patch(f"/api/v1/admin/posts/{post['id']}", json={"visible": False},
                            headers=auth.headers).status_code == 200
    elif change == "delete":
        assert client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).status_code == 204
    assert client.get(f"/posts/{post['slug']}", headers=AP).status_code in (404, 410)
    assert client.get(f"/ap/posts/{post['id']}/1", headers=AP).status_code in (404, 410)


def test_a_move_to_another_database_keeps_the_key_and_the_followers(make_app, tmp_path):
    """Export then import (SQLite to the test database: PostgreSQL with TEST_DATABASE_URL)."""
    from microblog.data.models import Follower
    source = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/source.sqlite3", PUBLIC_BASE_URL=BASE,
                      ADMIN_USERNAME="admin", ADMIN_PASSWORD="correct horse battery staple")
    source.test_cli_runner().invoke(args=["init-db"])
    key = source.test_client().get("/actor", headers=AP).get_json()["publicKey"]["publicKeyPem"]
    with source.app_context():
        Follower.create(actor="https://social.example/users/bo", inbox="https://social.example/users/bo/inbox",
                        shared_inbox="https://social.example/inbox", follow_id="https://social.example/f/1",
                        host="social.example")
    dump = tmp_path / "site.ndjson"
    source.test_cli_runner().invoke(args=["export", "--output", str(dump)])
    target = make_app(PUBLIC_BASE_URL=BASE)
    target.test_cli_runner().invoke(args=["init-db"])
    result = target.test_cli_runner().invoke(args=["import", str(dump)])
    assert result.exit_code == 0, result.output
    assert "actor_key: 1 created" in result.output and "follower: 1 created" in result.output
    assert target.test_client().get("/actor", headers=AP).get_json()["publicKey"]["publicKeyPem"] == key
    assert target.test_client().get("/actor/followers", headers=AP).get_json()["totalItems"] == 1
    again = target.test_cli_runner().invoke(args=["import", str(dump)])
    assert "actor_key: 0 created, 0 updated, 1 unchanged" in again.output
    assert "follower: 0 created, 0 updated, 1 unchanged" in again.output
