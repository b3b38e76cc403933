"""The IndieAuth consent page in Debian's chromium (Playwright, the system browser): a person signs
in and approves, and the browser follows the redirect back to the app under the page's own
Content-Security-Policy (browsers check form-action on a form's redirect too); no script, no CSP
violation, and axe-core finds no accessibility violation."""
from urllib.parse import urlencode

import pytest

from scripts import harness
from tests.indieauth_peers import ClientSite, pkce, query
from tests.test_site_browser import CHROMIUM, IN_CHROMIUM

AXE = harness.ROOT + "/node_modules/axe-core/axe.min.js"

pytestmark = IN_CHROMIUM


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def authorization_url(server, app):
    _verifier, challenge = pkce()
    return server.url + "/indieauth/auth?" + urlencode({
        "response_type": "code", "client_id": app.root + "/", "redirect_uri": app.root + "/callback",
        "state": "browser-state", "code_challenge": challenge, "code_challenge_method": "S256",
        "scope": "create update"})


def test_a_person_approves_and_the_browser_lands_back_at_the_app(live_server, browser):
    server = live_server("granian", workers=1)
    with ClientSite("127.0.0.2") as app:
        app.pages["/callback"] = (200, "text/html", b'<title>Back at the app</title><link rel="icon" href="data:,"><p>Signed in.</p>', {})
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.goto(authorization_url(server, app))
        page.get_by_label("Username").fill(harness.ADMIN[0])
        page.get_by_label("Password").fill(harness.ADMIN[1])
        with page.expect_navigation(url=f"{app.root}/callback**"):
            page.get_by_role("button", name="Approve").click()
        back = query(page.url)
        assert back["state"] == "browser-state" and back["code"] and back["iss"] == server.url + "/"
        assert page.title() == "Back at the app"
        assert problems == []


def test_the_consent_page_has_no_accessibility_violation(live_server, browser):
    server = live_server("granian", workers=1)
    with ClientSite("127.0.0.2") as app:
        context = browser.new_context(bypass_csp=True)  # to inject axe-core, a script the page's policy refuses
        page = context.new_page()
        page.goto(authorization_url(server, app))
        page.add_script_tag(path=AXE)
        violations = page.evaluate("async () => (await axe.run(document)).violations.map(v => v.id)")
        assert violations == []
