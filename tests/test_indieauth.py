"""IndieAuth as clients do it, through HTTP: discovery from the home page, the consent page filled
in as a browser fills it, the code exchanged for a token, introspection and revocation; every
refusal on the way. Client sites run on 127.0.0.x (tests/indieauth_peers.py)."""
import json
import time
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict

from microblog.data import migrations
from microblog.service import auth as auth_service
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CHEAP_HASH
from tests.indieauth_peers import ClientSite, discover, fill_form, pkce, query, read_page

APP = "https://app.example/"
CALLBACK = "https://app.example/callback"


@pytest.fixture
def app(make_app):
    """The app with its fetcher allowed to reach the client sites on loopback."""
    app = make_app(OUTBOUND_ALLOW_LOOPBACK=True)
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
    return app


def endpoints(client, page="/"):
    home = client.get(page)
    assert home.status_code == 200
    found = discover(home.request.url, home.headers.getlist("Link"), home.get_data(as_text=True))
    metadata = client.get(found["indieauth-metadata"]).get_json()
    return found, metadata


def consent(client, client_id=APP, redirect_uri=CALLBACK, scope="create update", state="st-1 €", **extra):
    """The authorization request a client sends (PKCE S256); (verifier, the page's response)."""
    _found, metadata = endpoints(client)
    verifier, challenge = pkce()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state,
              "code_challenge": challenge, "code_challenge_method": "S256", "me": "http://localhost/",
              **({"scope": scope} if scope is not None else {}), **extra}
    params = {name: value for name, value in params.items() if value is not None}
    return verifier, client.get(metadata["authorization_endpoint"] + "?" + urlencode(params))


def submit(client, page, press="approve", username=ADMIN_USERNAME, password=ADMIN_PASSWORD, unchecked=()):
    action, fields = fill_form(page.request.url, page.get_data(as_text=True),
                               {"username": username, "password": password}, press, unchecked)
    return client.post(action, data=MultiDict(fields))


def sign_in(client, **kwargs):
    """The whole front channel: (verifier, the redirect's parameters)."""
    verifier, page = consent(client, **kwargs)
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = submit(client, page)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return verifier, query(answer.headers["Location"])


def redeem(client, code, verifier, client_id=APP, redirect_uri=CALLBACK, endpoint="token_endpoint"):
    _found, metadata = endpoints(client)
    return client.post(metadata[endpoint], data={"grant_type": "authorization_code", "code": code,
                                                 "client_id": client_id, "redirect_uri": redirect_uri,
                                                 **({"code_verifier": verifier} if verifier else {})})


def test_home_and_post_pages_advertise_every_endpoint_absolutely(client, auth):
    post = auth.create_post(content="Hello")
    for path in ("/", f"/posts/{post['slug']}"):
        response = client.get(path)
        headers = discover("http://localhost/", response.headers.getlist("Link"), "")
        elements = discover("http://localhost/", [], response.get_data(as_text=True))
        for found in (headers, elements):
            assert found["micropub"] == "http://localhost/micropub"
            assert found["indieauth-metadata"] == "http://localhost/.well-known/oauth-authorization-server"
            assert found["authorization_endpoint"] == "http://localhost/indieauth/auth"
            assert found["token_endpoint"] == "http://localhost/indieauth/token"
        assert all(rel not in ("micropub",) for rel in discover("http://localhost/", [], client.get("/tags").get_data(
            as_text=True)))


def test_a_cached_page_keeps_one_set_of_link_headers(client):
    first, again = client.get("/"), client.get("/")
    assert first.headers.getlist("Link") == again.headers.getlist("Link")
    assert len(again.headers.getlist("Link")) == 1
    revalidated = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.headers.getlist("Link") == first.headers.getlist("Link")


def test_the_metadata_names_the_issuer_and_every_endpoint_on_the_public_root(make_app):
    app = make_app(PUBLIC_BASE_URL="https://blog.example/")
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
    client = app.test_client()
    found, metadata = endpoints(client)
    assert found["indieauth-metadata"] == "https://blog.example/.well-known/oauth-authorization-server"
    assert metadata["issuer"] == "https://blog.example/"
    assert found["indieauth-metadata"].startswith(metadata["issuer"])
    assert metadata["authorization_endpoint"] == "https://blog.example/indieauth/auth"
    assert metadata["token_endpoint"] == "https://blog.example/indieauth/token"
    assert metadata["introspection_endpoint"] == "https://blog.example/indieauth/introspect"
    assert metadata["revocation_endpoint"] == "https://blog.example/indieauth/revoke"
    assert metadata["revocation_endpoint_auth_methods_supported"] == ["none"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["scopes_supported"]) == {"create", "update", "delete", "media"}


def test_a_client_signs_in_gets_a_token_and_the_token_is_introspected_and_revoked(client, auth):
    verifier, page = consent(client)
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and read_page(html).scripts == 0
    assert APP in html and CALLBACK in html
    assert 'type="checkbox" id="scope-1" name="scope" value="create" checked' in html
    assert ">Username</label>" in html and ">Password</label>" in html
    assert "form-action 'self' https://app.example" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"

    answer = submit(client, page)
    assert answer.status_code == 302
    back = query(answer.headers["Location"])
    assert answer.headers["Location"].startswith(CALLBACK + "?")
    assert back["state"] == "st-1 €" and back["iss"] == "http://localhost/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    token = redeem(client, back["code"], verifier)
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    body = token.get_json()
    assert body["token_type"] == "Bearer" and body["scope"] == "create update"
    assert body["me"] == "http://localhost/" and body["expires_in"] == 365 * 24 * 3600
    assert len(body["access_token"]) >= 43  # 256 bits, base64url

    _found, metadata = endpoints(client)
    live = client.post(metadata["introspection_endpoint"], data={"token": body["access_token"]}, headers=auth.headers)
    assert live.status_code == 200
    facts = live.get_json()
    assert facts["active"] is True and facts["me"] == "http://localhost/" and facts["client_id"] == APP
    assert facts["scope"] == "create update" and facts["exp"] - facts["iat"] == 365 * 24 * 3600

    assert client.post(metadata["revocation_endpoint"], data={"token": body["access_token"]}).status_code == 200
    dead = client.post(metadata["introspection_endpoint"], data={"token": body["access_token"]}, headers=auth.headers)
    assert dead.get_json() == {"active": False}
    assert client.post(metadata["revocation_endpoint"], data={"token": "not-a-token"}).status_code == 200


def test_introspection_needs_the_admins_token(client):
    _verifier, back = sign_in(client)
    _found, metadata = endpoints(client)
    assert client.post(metadata["introspection_endpoint"], data={"token": "x"}).status_code == 401
    bearer = {"Authorization": "Bearer not-a-jwt"}
    assert client.post(metadata["introspection_endpoint"], data={"token": "x"}, headers=bearer).status_code == 401


def test_introspection_of_anything_else_says_only_inactive(client, auth):
    _found, metadata = endpoints(client)
    for token in ("", "nothing", auth.tokens["access_token"]):
        answer = client.post(metadata["introspection_endpoint"], data={"token": token}, headers=auth.headers)
        assert answer.status_code == 200 and answer.get_json() == {"active": False}


def test_a_signed_in_browser_is_asked_only_to_approve(client):
    sign_in(client)
    _verifier, page = consent(client)
    assert 'name="password"' not in page.get_data(as_text=True)
    answer = submit(client, page, username="", password="")
    assert answer.status_code == 302 and "code" in query(answer.headers["Location"])


def test_a_password_change_ends_sessions_and_every_token(client, auth):
    verifier, back = sign_in(client)
    access = redeem(client, back["code"], verifier).get_json()["access_token"]
    _verifier, pending = sign_in(client)
    minted = client.post("/api/v1/admin/tokens", json={"client_id": "iA Writer", "scope": "create"},
                         headers=auth.headers).get_json()["access_token"]
    changed = client.put("/api/v1/auth/password", headers=auth.headers,
                         json={"current_password": ADMIN_PASSWORD, "new_password": "a new long password"})
    assert changed.status_code == 204
    fresh = auth.login(password="a new long password").get_json()["access_token"]
    _found, metadata = endpoints(client)
    for token in (access, minted):
        answer = client.post(metadata["introspection_endpoint"], data={"token": token},
                             headers={"Authorization": f"Bearer {fresh}"})
        assert answer.get_json() == {"active": False}
    assert client.get("/api/v1/admin/tokens", headers={"Authorization": f"Bearer {fresh}"}).get_json()["items"] == []
    assert redeem(client, pending["code"], _verifier).get_json()["error"] == "invalid_grant"
    _verifier, page = consent(client)
    assert 'name="password"' in page.get_data(as_text=True)  # the session ended too


def test_create_admin_ends_every_token(app, client):
    verifier, back = sign_in(client)
    access = redeem(client, back["code"], verifier).get_json()["access_token"]
    result = app.test_cli_runner().invoke(args=["create-admin", "--username", ADMIN_USERNAME],
                                          input="another good password\n")
    assert result.exit_code == 0, result.output
    login = client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": "another good password"})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    _found, metadata = endpoints(client)
    assert client.post(metadata["introspection_endpoint"], data={"token": access},
                       headers=headers).get_json() == {"active": False}


def test_deny_sends_access_denied_with_the_state(client):
    _verifier, page = consent(client, state="keep=this&that")
    answer = submit(client, page, press="deny", username="", password="")
    assert answer.status_code == 302
    back = query(answer.headers["Location"])
    assert back == {"error": "access_denied", "error_description": back["error_description"],
                    "state": "keep=this&that", "iss": "http://localhost/"}


def test_a_wrong_password_shows_the_page_again_with_an_error(client):
    _verifier, page = consent(client)
    answer = submit(client, page, password="wrong password")
    assert answer.status_code == 200 and "Location" not in answer.headers
    html = answer.get_data(as_text=True)
    assert "Invalid username or password." in html and 'name="password"' in html and APP in html
    retried = submit(client, answer)  # the page shown again works
    assert retried.status_code == 302 and "code" in query(retried.headers["Location"])


def test_failed_sign_ins_are_throttled_with_the_api_logins(client, auth):
    _verifier, page = consent(client)
    for _ in range(6):  # five free failures, then the sixth locks this client's sign-ins for a second
        page = submit(client, page, password="wrong password")
        assert page.status_code == 200
    page = submit(client, page, password="wrong password")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
    assert "Too many failed attempts" in page.get_data(as_text=True)
    assert auth.login().status_code == 429  # the same lock as the API's login
    assert submit(client, page).status_code == 429  # even the right password waits


def test_a_form_without_its_csrf_token_issues_nothing(client):
    _verifier, page = consent(client)
    action, fields = fill_form(page.request.url, page.get_data(as_text=True),
                               {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}, "approve")
    for kept in ([f for f in fields if f[0] != "csrf_token"],
                 [(n, v + "x" if n == "csrf_token" else v) for n, v in fields]):
        answer = client.post(action, data=MultiDict(kept), headers={"Origin": "null"})
        assert answer.status_code == 400 and "Location" not in answer.headers
        assert "expired" in answer.get_data(as_text=True)


def test_a_form_shown_in_another_session_is_refused(app, client):
    sign_in(client)
    _verifier, page = consent(client)  # shown signed in: no password fields
    other = app.test_client()  # another browser, no session
    action, fields = fill_form(page.request.url, page.get_data(as_text=True), {}, "approve")
    answer = other.post(action, data=MultiDict(fields))
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_pkce_is_required_and_plain_refused(client):
    for extra in ({"code_challenge": None, "code_challenge_method": None},
                  {"code_challenge_method": "plain"}):
        _verifier, answer = consent(client, **extra)
        assert answer.status_code == 302
        back = query(answer.headers["Location"])
        assert back["error"] == "invalid_request" and "code" not in back and back["state"] == "st-1 €"


def test_a_setting_lets_clients_without_pkce_sign_in(make_app):
    app = make_app(INDIEAUTH_ALLOW_NO_PKCE=True)
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
    client = app.test_client()
    _verifier, page = consent(client, code_challenge=None, code_challenge_method=None)
    back = query(submit(client, page).headers["Location"])
    assert redeem(client, back["code"], "a" * 43).get_json()["error"] == "invalid_grant"  # none was bound
    assert redeem(client, back["code"], None).status_code == 200


def test_a_code_is_used_once(client):
    verifier, back = sign_in(client)
    assert redeem(client, back["code"], verifier).status_code == 200
    again = redeem(client, back["code"], verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert again.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("change", [
    {"verifier": "b" * 43}, {"client_id": "https://other.example/"},
    {"redirect_uri": "https://app.example/other"}, {"code": "made-up"}])
def test_a_mismatched_redemption_gets_invalid_grant(client, change):
    verifier, back = sign_in(client)
    args = {"code": back["code"], "verifier": verifier, **change}
    answer = redeem(client, **args)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    assert set(answer.get_json()) == {"error", "error_description"}


def test_an_expired_code_gets_invalid_grant(make_app):
    app = make_app(INDIEAUTH_CODE_LIFETIME=1)
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
    client = app.test_client()
    verifier, back = sign_in(client)
    time.sleep(1.1)
    assert redeem(client, back["code"], verifier).get_json()["error"] == "invalid_grant"


def test_a_code_without_scope_gives_no_token_but_signs_in(client):
    verifier, page = consent(client)
    back = query(submit(client, page, unchecked=("create", "update")).headers["Location"])
    refused = redeem(client, back["code"], verifier)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    profile = redeem(client, back["code"], verifier, endpoint="authorization_endpoint")
    assert profile.status_code == 200 and profile.get_json() == {"me": "http://localhost/"}
    assert redeem(client, back["code"], verifier, endpoint="authorization_endpoint").status_code == 400


def test_a_request_without_scope_is_sign_in_only(client):
    verifier, page = consent(client, scope=None)
    assert "it gets no access" in page.get_data(as_text=True)
    back = query(submit(client, page).headers["Location"])
    assert redeem(client, back["code"], verifier, endpoint="authorization_endpoint").get_json() == {
        "me": "http://localhost/"}


def test_unchecked_scopes_are_not_granted_and_post_counts_as_create(client, auth):
    verifier, page = consent(client, scope="post update delete profile")
    back = query(submit(client, page, unchecked=("delete",)).headers["Location"])
    body = redeem(client, back["code"], verifier).get_json()
    assert body["scope"] == "post update profile"


def test_the_token_endpoint_answers_bad_requests_in_oauths_format(client):
    _found, metadata = endpoints(client)
    for data, error in (({}, "invalid_request"), ({"grant_type": "password"}, "unsupported_grant_type"),
                        ({"grant_type": "authorization_code", "code": "x"}, "invalid_request")):
        answer = client.post(metadata["token_endpoint"], data=data)
        assert answer.status_code == 400 and answer.get_json()["error"] == error
    repeated = client.post(metadata["token_endpoint"], data=MultiDict([("grant_type", "authorization_code")] * 2))
    assert repeated.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("client_id, redirect_uri", [
    ("https://app.example/", "https://evil.example/callback"),
    ("https://app.example/", "http://app.example/callback"),
    ("https://app.example/", "https://app.example:8443/callback"),
    ("not a url", CALLBACK), ("https://app.example/#frag", CALLBACK), ("https://u:p@app.example/", CALLBACK),
    ("https://10.0.0.1/", "https://10.0.0.1/cb"), ("ftp://app.example/", "ftp://app.example/cb"),
    ("https://app.example/a/../b", CALLBACK), (APP, "javascript:alert(1)"), (APP, None), (None, CALLBACK),
    ("https:///nohost", "https:///nohost/cb"), ("https://app.example:x/", CALLBACK)])
def test_an_unusable_client_or_redirect_gets_an_error_page_never_a_redirect(client, client_id, redirect_uri):
    _verifier, page = consent(client, client_id=client_id, redirect_uri=redirect_uri)
    assert page.status_code == 400 and "Location" not in page.headers
    assert page.mimetype == "text/html" and read_page(page.get_data(as_text=True)).form is None


def test_a_client_lists_another_sites_redirect_in_its_json_metadata(client):
    with ClientSite("127.0.0.2") as site, ClientSite("127.0.0.3") as elsewhere:
        client_id, redirect_uri = site.root + "/", elsewhere.root + "/callback"
        site.pages["/"] = (200, "application/json", json.dumps(
            {"client_id": client_id, "client_name": "Peer App", "redirect_uris": [redirect_uri]}).encode(), {})
        verifier, page = consent(client, client_id=client_id, redirect_uri=redirect_uri)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Peer App" in html and "Another site" in html
        assert f"form-action 'self' {elsewhere.root}" in page.headers["Content-Security-Policy"]
        fetched_path, fetched_headers = site.requests[-1]
        assert "microblog" in fetched_headers["User-Agent"] and "Cookie" not in fetched_headers
        back = query(submit(client, page).headers["Location"])
        assert redeem(client, back["code"], verifier, client_id, redirect_uri).status_code == 200

        site.pages["/"] = (200, "application/json", json.dumps(
            {"client_id": site.root + "/other", "redirect_uris": [redirect_uri]}).encode(), {})
        _verifier, page = consent(client, client_id=client_id, redirect_uri=redirect_uri)
        assert page.status_code == 400  # the document must name the client_id it is fetched from


@pytest.mark.parametrize("html, headers", [
    ('<div class="h-app"><a class="u-url p-name" href="/">Old App</a></div><link rel="redirect_uri" href="{uri}">', {}),
    ('<div class="h-x-app"><span class="p-name">Old App</span><a class="u-redirect-uri" href="{uri}">cb</a></div>', {}),
    ('<p>Old App</p>', {"Link": '<{uri}>; rel="redirect_uri"'})])
def test_older_clients_list_redirects_in_html(client, html, headers):
    with ClientSite("127.0.0.2") as site, ClientSite("127.0.0.3") as elsewhere:
        redirect_uri = elsewhere.root + "/callback"
        site.pages["/app"] = (200, "text/html; charset=utf-8", html.format(uri=redirect_uri).encode(),
                              {name: value.format(uri=redirect_uri) for name, value in headers.items()})
        verifier, page = consent(client, client_id=site.root + "/app", redirect_uri=redirect_uri)
        assert page.status_code == 200, page.get_data(as_text=True)
        back = query(submit(client, page).headers["Location"])
        assert redeem(client, back["code"], verifier, site.root + "/app", redirect_uri).status_code == 200


def test_an_unlisted_or_unfetchable_clients_other_site_redirect_is_refused(client):
    with ClientSite("127.0.0.2") as site:
        site.pages["/"] = (200, "application/json", json.dumps(
            {"client_id": site.root + "/", "redirect_uris": ["http://127.0.0.3/listed"]}).encode(), {})
        _verifier, page = consent(client, client_id=site.root + "/", redirect_uri="http://127.0.0.3/unlisted")
        assert page.status_code == 400 and "Location" not in page.headers
        _verifier, page = consent(client, client_id=site.root + "/missing", redirect_uri="http://127.0.0.3/listed")
        assert page.status_code == 400 and "Location" not in page.headers


def test_a_client_id_without_a_path_is_its_root(client):
    verifier, back = sign_in(client, client_id="https://app.example")
    assert redeem(client, back["code"], verifier, client_id="https://app.example").status_code == 200


def test_an_unfetchable_client_may_use_its_own_origin(client):
    _verifier, page = consent(client, client_id="http://127.0.0.1:9/", redirect_uri="http://127.0.0.1:9/cb")
    assert page.status_code == 200


def test_loopback_clients_are_not_fetched_in_production_mode(make_app):
    app = make_app()  # OUTBOUND_ALLOW_LOOPBACK off
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
    client = app.test_client()
    with ClientSite("127.0.0.2") as site:
        site.pages["/"] = (200, "application/json", json.dumps(
            {"client_id": site.root + "/", "redirect_uris": ["http://127.0.0.3/cb"]}).encode(), {})
        _verifier, page = consent(client, client_id=site.root + "/", redirect_uri="http://127.0.0.3/cb")
        assert page.status_code == 400 and site.requests == []


def test_the_admin_mints_lists_and_revokes_app_tokens(client, auth):
    created = client.post("/api/v1/admin/tokens", json={"client_id": "https://ia.net/writer", "scope": "create media"},
                          headers=auth.headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["token_type"] == "Bearer" and len(body["access_token"]) >= 43 and body["scope"] == "create media"
    assert body["last_used"] is None and body["expires_in"] == 365 * 24 * 3600 and body["client_id"] == "https://ia.net/writer"
    listed = client.get("/api/v1/admin/tokens", headers=auth.headers)
    assert listed.headers["Cache-Control"] == "no-store"
    [item] = listed.get_json()["items"]
    assert item["id"] == body["id"] and "access_token" not in item and body["access_token"] not in listed.get_data(
        as_text=True)
    assert set(item) == {"id", "client_id", "scope", "created", "last_used", "expires"}
    # an IndieAuth token is no admin credential
    assert client.get("/api/v1/admin/tokens", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code == 401
    assert client.delete(f"/api/v1/admin/tokens/{body['id']}", headers=auth.headers).status_code == 204
    assert client.delete(f"/api/v1/admin/tokens/{body['id']}", headers=auth.headers).status_code == 404
    assert client.get("/api/v1/admin/tokens", headers=auth.headers).get_json()["items"] == []


@pytest.mark.parametrize("body", [{"client_id": "x", "scope": "admin"}, {"client_id": "x", "scope": " "},
                                  {"client_id": "", "scope": "create"}, {"client_id": "x"},
                                  {"client_id": "x", "scope": "create", "extra": 1}])
def test_an_app_token_needs_a_client_and_known_scopes(client, auth, body):
    assert client.post("/api/v1/admin/tokens", json=body, headers=auth.headers).status_code == 422


def test_app_tokens_need_the_admin(client):
    assert client.get("/api/v1/admin/tokens").status_code == 401
    assert client.post("/api/v1/admin/tokens", json={"client_id": "x", "scope": "create"}).status_code == 401
