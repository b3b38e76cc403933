"""The writer's pages (/write) through HTTP: the sign-in and its session, CSRF, never cached or
indexed, nothing shown without a session, and every action done by the admin API's service
under its rules (If-Match's versions, slugs, validation, the list's filters and pages)."""
import io
import re
import time
from datetime import timedelta

import pytest
from PIL import Image

from microblog.data.models import utcnow
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.write_helpers import HTML, Writer, token_in, version_in

DRAFT = "A secret draft marker"


@pytest.fixture
def writer(client):
    writer = Writer(client)
    assert writer.sign_in().status_code == 303
    return writer


def api_post(client, auth, post_id):
    return client.get(f"/api/v1/admin/posts/{post_id}", headers=auth.headers).get_json()


def api_version(client, auth, post_id):
    """The post's version, as its ETag (p<id>v<version>t…) names it."""
    etag = client.get(f"/api/v1/admin/posts/{post_id}", headers=auth.headers).headers["ETag"]
    return int(re.search(r"v(\d+)t", etag).group(1))


def api_posts(client, auth):
    return client.get("/api/v1/admin/posts?deleted=include&limit=100", headers=auth.headers).get_json()["items"]


def text(response):
    return response.get_data(as_text=True)


def article(html):
    """The post's article on a page; its last-modified time (the moment of saving) left out."""
    found = re.search(r'<article class="post single[^"]*">.*?</article>', html, re.S).group(0)
    return re.sub(r'(class="dt-updated" value=")[^"]+', r"\1", found)


WRITER_GETS = ["/write", "/write/posts", "/write/posts?deleted=only", "/write/posts/1", "/write/posts/1/revisions",
               "/write/posts/1/purge", "/write/no/such/page", "/write/sign-out"]
WRITER_POSTS = ["/write", "/write/posts/1", "/write/posts/1/hide", "/write/posts/1/show", "/write/posts/1/delete",
                "/write/posts/1/restore", "/write/posts/1/purge", "/write/posts/1/revisions/1/restore",
                "/write/sign-out", "/write/elsewhere"]


def test_a_reader_without_a_session_is_sent_to_sign_in_from_every_writer_url_and_sees_no_draft(client, auth):
    auth.create_post(content=DRAFT, visible=False)
    for path in WRITER_GETS:
        response = client.get(path, headers=HTML)
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/write/sign-in?next=/write"), path
        assert DRAFT not in text(response) and response.headers["Cache-Control"] == "no-store", path
    for path in WRITER_POSTS:
        response = client.post(path, data={"content": "forged"}, headers=HTML)
        assert response.status_code == 303 and "/write/sign-in" in response.headers["Location"], path
    for method in ("put", "delete", "options"):
        assert getattr(client, method)("/write/posts/1").status_code == 303, method
    assert [post["content"] for post in api_posts(client, auth)] == [DRAFT]  # nothing changed
    # a cookie that names no session is no session
    client.set_cookie("microblog_session", "not-a-session")
    assert client.get("/write", headers=HTML).status_code == 303


def test_every_writer_page_is_never_stored_and_never_indexed(writer, client, auth):
    post = auth.create_post(content="One", title="One")
    client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers)
    pages = ["/write", "/write/posts", f"/write/posts/{post['id']}", f"/write/posts/{post['id']}/revisions",
             f"/write/posts/{post['id']}/purge", "/write/posts/999", "/write/no/such/page"]
    for path in pages:
        response = client.get(path, headers=HTML)
        assert response.status_code in (200, 404), path
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Robots-Tag"] == "noindex", path
        assert "Cookie" in response.headers["Vary"], path
        if response.status_code == 200:
            assert '<meta name="robots" content="noindex">' in text(response), path
    assert client.get("/write/posts/999", headers=HTML).mimetype == "text/html"  # the site's error page
    preview = writer.post_form("/write", content="x", action="preview")
    assert preview.headers["Cache-Control"] == "no-store" and '<meta name="robots" content="noindex">' in text(preview)
    signed_out = Writer(client.application.test_client())
    page = signed_out.client.get("/write/sign-in", headers=HTML)
    assert page.headers["Cache-Control"] == "no-store" and '<meta name="robots" content="noindex">' in text(page)
    assert "/write" not in text(client.get("/sitemap.xml"))
    # a crawler must be able to fetch a page to read its noindex: robots.txt does not hide them
    assert "/write" not in text(client.get("/robots.txt"))


def test_sign_in_wrong_then_right_sets_a_session_cookie_httponly_samesite_lax(client):
    writer = Writer(client)
    wrong = writer.sign_in(password="not the password")
    assert wrong.status_code == 200 and "Set-Cookie" not in wrong.headers
    assert "Invalid username or password" in text(wrong) or 'role="alert"' in text(wrong)
    right = writer.sign_in(next_page="/write/posts")
    assert right.status_code == 303 and right.headers["Location"] == "/write/posts"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith("microblog_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie and "Path=/" in cookie
    assert client.get("/write", headers=HTML).status_code == 200
    # signed in, the sign-in page sends on
    assert client.get("/write/sign-in", headers=HTML).status_code == 303


def test_the_cookie_is_secure_over_https(make_app, app):
    secure_app = make_app(PUBLIC_BASE_URL="https://blog.example")
    cookie = Writer(secure_app.test_client()).sign_in().headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("next_page", ["https://evil.example/", "//evil.example/write", "/writer-elsewhere/../x",
                                       "/api/v1/admin/posts", "/write\\@evil.example", "/write\r\nSet-Cookie: a=b",
                                       "/writer", "/write/sign-in"])
def test_sign_in_never_sends_the_writer_off_the_writer_pages(client, next_page):
    response = Writer(client).sign_in(next_page=next_page)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/write", location


def test_a_sign_in_without_its_form_token_signs_nobody_in(client):
    response = client.post("/write/sign-in", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
                           headers=HTML)
    assert response.status_code == 400 and "Set-Cookie" not in response.headers


def test_the_sign_in_shares_the_api_logins_throttle(client):
    for _ in range(5):
        assert client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": "wrong"}).status_code == 401
    client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": "wrong"})  # the sixth locks
    locked = Writer(client).sign_in()  # the right password, but the pair is locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "Set-Cookie" not in locked.headers


def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(writer, client):
    session = client.get_cookie("microblog_session").value
    response = writer.post_form("/write/sign-out")
    assert response.status_code == 303 and response.headers["Location"].startswith("/write/sign-in")
    assert "microblog_session=;" in response.headers["Set-Cookie"]
    assert client.get("/write", headers=HTML).status_code == 303
    client.set_cookie("microblog_session", session)  # the old cookie, kept by someone
    assert client.get("/write", headers=HTML).status_code == 303


def test_a_password_change_ends_every_session(app, writer, client, auth):
    other = Writer(app.test_client())
    assert other.sign_in().status_code == 303
    change = client.put("/api/v1/auth/password", headers=auth.headers,
                         json={"current_password": ADMIN_PASSWORD, "new_password": "a brand new passphrase 2026"})
    assert change.status_code in (200, 204), change.get_json()
    assert client.get("/write", headers=HTML).status_code == 303
    assert other.client.get("/write", headers=HTML).status_code == 303


def test_a_session_ends_after_its_idle_time_and_at_its_absolute_limit(make_app, app):
    idle_app = make_app(BROWSER_SESSION_IDLE=timedelta(seconds=3), BROWSER_SESSION_LIFETIME=timedelta(seconds=6))
    idle = Writer(idle_app.test_client())
    idle.sign_in()
    time.sleep(3.5)
    assert idle.client.get("/write", headers=HTML).status_code == 303  # idle too long
    busy = Writer(idle_app.test_client())
    busy.sign_in()
    started = time.monotonic()
    while time.monotonic() - started < 5.5:  # used every second: idle never runs out …
        assert busy.client.get("/write", headers=HTML).status_code == 200
        time.sleep(1)
    time.sleep(max(0.0, 6.5 - (time.monotonic() - started)))
    assert busy.client.get("/write", headers=HTML).status_code == 303  # … the absolute limit does


def forged(client, path, **data):
    """A cross-site form POST: the browser sends the session cookie (a Lax cookie would not, but
    a form token is the rule here), the form has no token, a forged one, or another form's."""
    return client.post(path, data=data, headers={**HTML, "Origin": "https://evil.example"})


def test_a_forged_cross_site_post_changes_nothing(writer, client, auth):
    post = auth.create_post(content="Keep me", title="Kept")
    version = version_in(writer.edit_page(post["id"]))
    sign_in_token = token_in(client.get("/write/sign-in?next=/write", headers=HTML)) if False else None
    other = Writer(client.application.test_client())
    other.sign_in()
    other_token = other.token()  # a real token, of another session
    for token in (None, "forged", other_token, sign_in_token):
        extra = {} if token is None else {"csrf_token": token}
        for path, data in ((f"/write/posts/{post['id']}", {"content": "Changed", "version": version, "action": "save"}),
                           ("/write", {"content": "New by forgery", "action": "save"}),
                           (f"/write/posts/{post['id']}/hide", {"version": version}),
                           (f"/write/posts/{post['id']}/delete", {"version": version}),
                           (f"/write/posts/{post['id']}/revisions/1/restore", {"version": version})):
            response = forged(client, path, **data, **extra)
            assert response.status_code == 400, (path, token)
    after = api_post(client, auth, post["id"])
    assert (after["content"], after["visible"], after["deleted"]) == ("Keep me", True, None)
    assert api_version(client, auth, post["id"]) == 1
    assert len(api_posts(client, auth)) == 1
    assert forged(client, "/write/sign-out").status_code == 400
    assert client.get("/write", headers=HTML).status_code == 200  # still signed in


def test_a_refused_editor_form_is_shown_again_with_what_was_typed(writer, client, auth):
    response = forged(client, "/write", content="My long text", title="Mine", tags="a b", action="save")
    assert response.status_code == 400
    page = text(response)
    assert "My long text" in page and 'value="Mine"' in page and "nothing was changed" in page
    assert api_posts(client, auth) == []
    resent = writer.post_form("/write", csrf_token=token_in(response), content="My long text", action="save")
    assert resent.status_code == 303  # the token the page gave works


def test_publish_creates_the_post_as_the_api_would_and_leads_to_its_page(writer, client, auth):
    response = writer.publish(content="Hello **world**", title="First words", tags="Walks, rivers  notes", slug="")
    assert response.status_code == 303 and response.headers["Location"] == "/posts/first-words"
    (post,) = api_posts(client, auth)
    assert (post["title"], post["content"], post["tags"], post["visible"], post["publish_at"]) == (
        "First words", "Hello **world**", ["walks", "rivers", "notes"], True, None)
    page = client.get("/posts/first-words", headers=HTML)
    assert page.status_code == 200 and "<strong>world</strong>" in text(page)


def test_preview_is_exactly_the_post_page_and_stores_nothing(writer, client, auth):
    fields = {"title": "Code & <tags>", "content": "Some `code`:\n\n```python\ndef f():\n    return 1\n```\n\n"
              "<script>alert(1)</script> [x](javascript:alert(1))", "tags": "code, python", "slug": "code-sample",
              "publish_at": "2026-01-02 03:04"}
    preview = writer.post_form("/write", action="preview", **fields)
    assert preview.status_code == 200 and api_posts(client, auth) == []
    assert "<script" not in article(text(preview)) and 'href="javascript' not in article(text(preview))
    assert writer.post_form("/write", action="save", **fields).status_code == 303
    published = client.get("/posts/code-sample", headers=HTML)
    assert article(text(preview)) == article(text(published))
    # the form keeps every field as typed
    for value in ('value="Code &amp; &lt;tags&gt;"', 'value="code, python"', 'value="code-sample"', 'value="2026-01-02 03:04"'):
        assert value in text(preview), value


def test_drafts_and_scheduled_posts_go_back_to_the_editor_and_readers_see_nothing(writer, client, auth):
    draft = writer.publish(content=DRAFT, title="Draft title", visibility="draft", slug="draft-slug")
    assert draft.status_code == 303 and re.fullmatch(r"/write/posts/\d+\?saved=draft", draft.headers["Location"])
    assert "readers do not see it" in text(client.get(draft.headers["Location"], headers=HTML))
    soon = (utcnow() + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")  # a minute later at least
    scheduled = writer.publish(content="Later marker", publish_at=soon, slug="later-slug")
    assert scheduled.headers["Location"].endswith("?saved=scheduled")
    stored = {post["slug"]: post for post in api_posts(client, auth)}
    assert stored["draft-slug"]["visible"] is False
    assert stored["later-slug"]["publish_at"] == (soon.replace(" ", "T") + ":00.000000Z")
    reader = client.application.test_client()
    for path in ("/", "/posts/draft-slug", "/posts/later-slug", "/tags", "/search?q=marker", "/feed.atom",
                 "/feed.json", "/sitemap.xml", "/api/v1/posts"):
        body = text(reader.get(path, headers=HTML))
        assert DRAFT not in body and "Later marker" not in body and "draft-slug" not in body, path


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"content": "   "}, "content", "Length must be between"),
    ({"content": "x", "publish_at": "next tuesday"}, "publish_at", "2026-12-24 18:00"),
    ({"content": "x", "tags": " ".join(f"t{n}" for n in range(11))}, "tags", "At most 10 tags"),
    ({"content": "x", "tags": "no_underscores"}, "tags", "a-z, 0-9"),
    ({"content": "x", "slug": "Not A Slug"}, "slug", ""),
    ({"content": "x", "title": "t" * 300}, "title", "Longer than"),
])
def test_invalid_fields_are_refused_by_the_apis_rules_and_the_text_is_kept(writer, client, auth, fields, field, message):
    response = writer.publish(**{"content": "", **fields, "title": fields.get("title", "Kept title")})
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-problem"' in page and message in page
    assert 'aria-invalid="true"' in page and 'value="' + fields.get("title", "Kept title")[:50] in page
    assert api_posts(client, auth) == []


def test_a_taken_slug_is_a_conflict_at_the_slug(writer, client, auth):
    auth.create_post(content="First", slug="taken")
    response = writer.publish(content="Second", slug="taken")
    assert response.status_code == 409 and 'id="slug-problem"' in text(response) and "Second" in text(response)
    assert len(api_posts(client, auth)) == 1


def test_editing_keeps_if_match_and_a_conflict_shows_both_texts_and_keeps_the_writers(writer, client, auth):
    post = auth.create_post(content="Original text", title="Original", tags=["one"])
    page = writer.edit_page(post["id"])
    assert 'value="Original"' in text(page) and "Original text" in text(page)
    opened_at = version_in(page)
    # meanwhile, the API changes it
    etag = client.get(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).headers["ETag"]
    assert client.patch(f"/api/v1/admin/posts/{post['id']}", json={"content": "Their text"},
                        headers={**auth.headers, "If-Match": etag}).status_code == 200
    mine = {"content": "My text", "title": "Mine", "tags": "one two", "version": opened_at, "action": "save"}
    conflict = writer.post_form(f"/write/posts/{post['id']}", **mine)
    assert conflict.status_code == 409
    body = text(conflict)
    assert "Their text" in body and "My text" in body and "changed since you opened it" in body
    assert '<textarea id="content" name="content" rows="14" required aria-describedby="content-help">My text</textarea>' in body
    assert api_post(client, auth, post["id"])["content"] == "Their text"  # nothing saved
    # the page now carries the current version: saving again replaces theirs, deliberately
    saved = writer.post_form(f"/write/posts/{post['id']}", **{**mine, "version": version_in(conflict)})
    assert saved.status_code == 303 and saved.headers["Location"] == f"/posts/{post['slug']}"
    after = api_post(client, auth, post["id"])
    assert (after["content"], after["title"], after["tags"]) == ("My text", "Mine", ["one", "two"])
    assert api_version(client, auth, post["id"]) == 3
    revisions = client.get(f"/api/v1/admin/posts/{post['id']}/revisions", headers=auth.headers).get_json()["items"]
    assert [revision["content"] for revision in revisions] == ["Original text", "Their text", "My text"]


def test_saving_an_unchanged_edit_changes_nothing(writer, client, auth):
    post = auth.create_post(content="Same", title="Same", tags=["a"], publish_at="2026-01-01T10:00:00Z")
    page = writer.edit_page(post["id"])
    form = {"title": "Same", "content": "Same", "tags": "a", "slug": post["slug"], "visibility": "visible",
            "publish_at": "2026-01-01 10:00", "version": version_in(page), "action": "save"}
    assert writer.post_form(f"/write/posts/{post['id']}", **form).status_code == 303
    assert api_version(client, auth, post["id"]) == 1


def test_the_list_shows_every_post_with_the_apis_filters_and_keyset_pages(writer, client, auth):
    for n in range(23):
        auth.create_post(content=f"Post {n}", title=f"Title {n}", publish_at=f"2026-01-01T10:{n:02d}:00Z",
                         tags=["even"] if n % 2 == 0 else [])
    hidden = auth.create_post(content="Hidden one", title="Hidden one", visible=False)
    gone = auth.create_post(content="Gone one", title="Gone one")
    client.delete(f"/api/v1/admin/posts/{gone['id']}", headers=auth.headers)
    later = auth.create_post(content="Later one", title="Later one", publish_at="2099-01-01T00:00:00Z")

    def titles(path):
        return re.findall(r'<h2><a href="/write/posts/\d+">([^<]+)</a></h2>', text(client.get(path, headers=HTML)))

    first = client.get("/write/posts", headers=HTML)
    shown = titles("/write/posts")
    assert len(shown) == 20 and shown[0] == "Later one" and "Hidden one" in shown and "Gone one" not in shown
    older = re.search(r'<a href="([^"]+)" rel="next">Older posts</a>', text(first)).group(1).replace("&amp;", "&")
    rest = titles(older)
    assert len(rest) == 5 and not set(rest) & set(shown) and rest[-1] == "Title 0"
    assert titles("/write/posts?deleted=only") == ["Gone one"]
    assert "Gone one" in titles("/write/posts?deleted=include")
    assert titles("/write/posts?visible=false") == ["Hidden one"]
    assert titles("/write/posts?scheduled=on") == ["Later one"]
    assert titles("/write/posts?tag=even&q=post") == titles("/write/posts?tag=even&q=post")
    assert set(titles("/write/posts?tag=even")) == {f"Title {n}" for n in range(0, 23, 2)}
    assert titles("/write/posts?q=hidden") == ["Hidden one"]
    # the filters stay on the next page's link
    filtered = text(client.get("/write/posts?deleted=include&visible=true", headers=HTML))
    assert "deleted=include" in re.search(r'<a href="([^"]+)" rel="next">', filtered).group(1)
    assert client.get("/write/posts?cursor=nonsense", headers=HTML).status_code == 400
    assert client.get("/write/posts?deleted=maybe", headers=HTML).status_code == 400
    assert later["id"] and hidden["id"]


def test_hide_show_delete_restore_and_purge_after_a_confirmation(writer, client, auth):
    post = auth.create_post(content="Lifecycle", title="Lifecycle")
    path = f"/write/posts/{post['id']}"

    def act(action, back="/write/posts?deleted=include"):
        version = version_in(writer.edit_page(post["id"]))
        return writer.post_form(f"{path}/{action}", version=version, back=back)

    assert act("hide").headers["Location"] == "/write/posts?deleted=include"
    assert api_post(client, auth, post["id"])["visible"] is False
    assert client.get(f"/posts/{post['slug']}", headers=HTML).status_code == 404
    act("show")
    assert api_post(client, auth, post["id"])["visible"] is True
    act("delete", back="https://evil.example/")
    assert act("restore", back="/write/posts\r\nSet-Cookie: a=b").headers["Location"] == "/write/posts"
    act("delete")
    assert api_post(client, auth, post["id"])["deleted"] is not None
    assert client.get(f"/posts/{post['slug']}", headers=HTML).status_code == 410
    act("restore")
    assert api_post(client, auth, post["id"])["deleted"] is None
    # purge: only a deleted post, only after the confirmation page's POST
    assert "Only a deleted post can be purged" in text(client.get(f"{path}/purge", headers=HTML))
    act("delete")
    confirm = client.get(f"{path}/purge", headers=HTML)
    assert confirm.status_code == 200 and "cannot be brought back" in text(confirm)
    assert api_post(client, auth, post["id"])["deleted"] is not None  # the page purged nothing
    purged = writer.post_form(f"{path}/purge", version=version_in(confirm))
    assert purged.status_code == 303
    assert client.get(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).status_code == 404


def test_an_action_on_a_post_changed_since_it_was_shown_changes_nothing(writer, client, auth):
    post = auth.create_post(content="Versioned")
    stale = version_in(writer.edit_page(post["id"]))
    client.patch(f"/api/v1/admin/posts/{post['id']}", json={"title": "Changed"}, headers=auth.headers)
    for action in ("hide", "delete"):
        response = writer.post_form(f"/write/posts/{post['id']}/{action}", version=stale)
        assert response.status_code == 412 and response.mimetype == "text/html"
    after = api_post(client, auth, post["id"])
    assert (after["visible"], after["deleted"]) == (True, None)
    assert api_version(client, auth, post["id"]) == 2
    assert writer.post_form("/write/posts/999/hide", version=stale).status_code == 404


def test_revisions_are_listed_and_one_can_be_restored(writer, client, auth):
    post = auth.create_post(content="First version", title="One")
    client.patch(f"/api/v1/admin/posts/{post['id']}", json={"content": "Second version"}, headers=auth.headers)
    page = client.get(f"/write/posts/{post['id']}/revisions", headers=HTML)
    body = text(page)
    assert body.index("Second version") < body.index("First version")  # newest first
    assert "Restore revision 1" in body and "Restore revision 2" not in body  # the current one is not offered
    restored = writer.post_form(f"/write/posts/{post['id']}/revisions/1/restore", version=version_in(page))
    assert restored.status_code == 303
    assert api_post(client, auth, post["id"])["content"] == "First version"
    assert writer.post_form(f"/write/posts/{post['id']}/revisions/1/restore", version=version_in(page)).status_code == 412


def png(colour=(40, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG")
    return buffer.getvalue()


def with_photo(writer, path, data, alt, **fields):
    fields.setdefault("csrf_token", writer.token())
    return writer.client.post(path, headers=HTML, content_type="multipart/form-data", data={
        **fields, "photo": (io.BytesIO(data), "walk.png"), "new_photo_alt": alt})


def test_a_photo_with_alt_text_is_stored_by_the_media_service_previewed_and_published(writer, client, auth):
    preview = with_photo(writer, "/write", png(), "A blue square", content="With a photo", title="Photo post",
                         tags="one two", publish_at="2026-01-01 10:00", action="preview")
    assert preview.status_code == 200
    url = re.search(r'name="photo_url" value="([^"]+)"', text(preview)).group(1)
    assert re.fullmatch(r"http://localhost/media/[A-Za-z0-9_-]{32}\.png", url)
    assert f'<img class="u-photo" src="{url}" alt="A blue square" width="32" height="24">' in article(text(preview))
    assert client.get(url.removeprefix("http://localhost")).status_code == 200  # stored, served
    assert api_posts(client, auth) == []
    published = writer.post_form("/write", content="With a photo", title="Photo post", tags="one two",
                                 publish_at="2026-01-01 10:00", photo_url=url, photo_alt="A blue square", action="save")
    assert published.status_code == 303 and published.headers["Location"] == "/posts/photo-post"
    (post,) = api_posts(client, auth)
    assert post["photos"] == [{"url": url, "alt": "A blue square"}]
    assert article(text(preview)) == article(text(client.get("/posts/photo-post", headers=HTML)))
    home = text(client.get("/", headers=HTML))
    assert f'src="{url}" alt="A blue square"' in home


def test_a_photo_without_alt_text_gets_a_prompt_not_a_refusal(writer, client, auth):
    published = with_photo(writer, "/write", png(), "", content="Undescribed", action="save")
    assert published.status_code == 303 and published.headers["Location"].endswith("?saved=undescribed")
    (post,) = api_posts(client, auth)
    assert post["visible"] is True and post["photos"][0]["alt"] == ""
    page = text(client.get(published.headers["Location"], headers=HTML))
    assert "Image 1 has no description" in page and "Some photos have no alt text yet" in page
    assert "Image without alt text" in text(client.get("/write/posts", headers=HTML))
    # described later, from the editor; or removed
    form = {"title": "", "content": "Undescribed", "tags": "", "slug": post["slug"], "visibility": "visible",
            "publish_at": "", "photo_url": post["photos"][0]["url"], "photo_alt": "Now described",
            "version": version_in(client.get(published.headers["Location"], headers=HTML)), "action": "save"}
    assert writer.post_form(f"/write/posts/{post['id']}", **form).headers["Location"] == f"/posts/{post['slug']}"
    assert api_post(client, auth, post["id"])["photos"][0]["alt"] == "Now described"
    form["version"] = version_in(writer.edit_page(post["id"]))
    writer.post_form(f"/write/posts/{post['id']}", **form, photo_remove=post["photos"][0]["url"])
    assert api_post(client, auth, post["id"])["photos"] == []


def test_a_file_that_is_not_an_image_is_refused_at_the_photo_and_nothing_is_stored(writer, client, auth):
    response = with_photo(writer, "/write", b"%PDF-1.4 not an image", "A document", content="Kept text", action="save")
    assert response.status_code == 422
    assert 'id="photo-problem"' in text(response) and "Kept text" in text(response)
    assert api_posts(client, auth) == []
    assert client.get("/api/v1/admin/media", headers=auth.headers).get_json()["items"] == []
