"""IndieAuth on real servers sharing one database: a code redeemed by many requests at once
gives one token, and a token revoked on one host is refused by every worker of another."""
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import requests

from scripts import harness
from tests.indieauth_peers import discover, fill_form, pkce, query

APP, CALLBACK = "https://app.example/", "https://app.example/callback"


def endpoints(session, url):
    home = session.get(url + "/")
    found = discover(home.url, home.headers.get("Link", "").split("\n"), home.text)
    return session.get(found["indieauth-metadata"]).json()


def code_for(session, metadata):
    verifier, challenge = pkce()
    params = {"response_type": "code", "client_id": APP, "redirect_uri": CALLBACK, "state": "s",
              "code_challenge": challenge, "code_challenge_method": "S256", "scope": "create"}
    page = session.get(metadata["authorization_endpoint"] + "?" + urlencode(params))
    action, fields = fill_form(page.url, page.text, dict(zip(("username", "password"), harness.ADMIN, strict=True)), "approve")
    answer = session.post(action, data=fields, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return verifier, query(answer.headers["Location"])["code"]


def redeem(metadata, code, verifier):
    return requests.post(metadata["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "client_id": APP, "redirect_uri": CALLBACK,
        "code_verifier": verifier}, timeout=30)


def test_parallel_redemptions_of_one_code_give_exactly_one_token(live_server):
    server = live_server("granian", workers=2)
    session = requests.Session()
    metadata = endpoints(session, server.url)
    for _ in range(3):
        verifier, code = code_for(session, metadata)
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(redeem, [metadata] * 12, [code] * 12, [verifier] * 12))
        assert sorted(a.status_code for a in answers) == [200] + [400] * 11
        assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code == 400)


def test_a_token_revoked_on_one_host_is_refused_on_another(live_server):
    one = live_server("granian", workers=2)
    other = harness.server(one.env, 2, "granian").start()  # a second host: same database, same secrets
    try:
        session = requests.Session()
        metadata_one, metadata_other = endpoints(session, one.url), endpoints(session, other.url)
        verifier, code = code_for(session, metadata_one)
        token = redeem(metadata_one, code, verifier).json()["access_token"]
        admin = harness.login(requests.Session(), other.url)
        for _ in range(4):  # every worker of the other host sees it live
            facts = requests.post(metadata_other["introspection_endpoint"], data={"token": token}, headers=admin).json()
            assert facts["active"] is True
        assert requests.post(metadata_one["revocation_endpoint"], data={"token": token}).status_code == 200
        for _ in range(4):
            facts = requests.post(metadata_other["introspection_endpoint"], data={"token": token}, headers=admin).json()
            assert facts == {"active": False}
    finally:
        other.stop()


def test_serve_warns_when_the_fetcher_may_reach_loopback(database_url):
    env = harness.server_env(database_url, OUTBOUND_ALLOW_LOOPBACK="true")
    harness.init_db(env)
    port = harness.free_port()
    process = subprocess.Popen([f"{harness.BIN}/microblog", "serve", "--port", str(port), "--workers", "1"],
                               env=env, cwd=harness.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
    finally:
        process.terminate()
        _out, errors = process.communicate(timeout=40)
    assert "OUTBOUND_ALLOW_LOOPBACK is on" in errors
