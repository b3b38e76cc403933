"""The reading site in Debian's chromium, driven by Playwright (the system browser; nothing is
downloaded): a reader's visit checked on screen, screenshots at phone and desktop widths in
build/screenshots/, no request elsewhere and no Content-Security-Policy violation, axe-core's
accessibility rules with no violation on every kind of page, light and dark, and Lighthouse's
scores on the home and post pages (scripts/lighthouse.py, also `make lighthouse`)."""
import pathlib
import shutil

import pytest

from scripts import lighthouse

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium")
PHONE, DESKTOP = {"width": 320, "height": 640}, {"width": 1280, "height": 800}

# every chromium test: run alone (Lighthouse's scores suffer beside another test), skipped without chromium
IN_CHROMIUM = [pytest.mark.alone,
               pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")]
pytestmark = IN_CHROMIUM


@pytest.fixture
def site(live_server):
    server = live_server("granian", workers=1)
    return server.url, lighthouse.seed(server.url)


class Watch:
    """What a page did besides rendering: console errors (CSP reports among them), page
    errors, and requests to anywhere but the site."""

    def __init__(self, page, origin):
        self.problems = []
        page.on("console", lambda m: m.type in ("error", "warning") and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("request", lambda r: r.url.startswith(origin) or self.problems.append(f"request elsewhere: {r.url}"))


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_reader_reads_the_latest_posts_older_ones_a_post_a_tag_and_a_search(site, browser):
    url, posts = site
    for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        watch = Watch(page, url)
        page.goto(url + "/")
        assert page.locator("h1").inner_text() == "Latest posts"
        assert page.locator("article").count() == 20
        assert page.locator("article h2").first.inner_text() == "Walk 24 <by the water>"
        assert "A draft nobody may read" not in page.content()
        body_scroll = page.evaluate("document.documentElement.scrollWidth")
        assert body_scroll <= viewport["width"], f"{width_name}: the page scrolls sideways ({body_scroll}px)"
        shoot(page, f"home-{width_name}")

        page.get_by_role("link", name="Older posts").click()
        assert page.locator("h1").inner_text() == "Older posts"
        assert page.locator("article").count() == 5
        assert page.locator("article .meta time").last.inner_text() == "2026-01-01"
        page.get_by_role("link", name="Newest posts").click()

        page.get_by_role("link", name="Walk 21 <by the water>").click()
        assert page.url == f"{url}/posts/{posts[21]['slug']}"
        assert page.locator("h1").inner_text() == "Walk 21 <by the water>"
        assert page.locator("article .content strong").inner_text() == "river"
        assert page.locator("article .content blockquote").count() == 1
        shoot(page, f"post-{width_name}")

        page.get_by_role("link", name="#rivers").click()
        assert page.locator("h1").inner_text() == "Posts tagged #rivers"
        assert page.locator("article").count() == 12
        shoot(page, f"tag-{width_name}")

        page.get_by_role("navigation", name="Site").get_by_role("link", name="Tags").click()
        assert page.locator(".tag-counts li").all_inner_texts() == ["#notes 13 posts", "#rivers 12 posts",
                                                                     "#walks 12 posts"]
        shoot(page, f"tags-{width_name}")

        page.get_by_role("navigation", name="Site").get_by_role("link", name="Search").click()
        page.get_by_label("Words to find").fill("number 7")
        page.get_by_role("button", name="Search").click()
        assert page.locator("h1").inner_text() == "Posts matching “number 7”"
        assert page.locator("article").count() == 1
        shoot(page, f"search-{width_name}")

        assert watch.problems == [], watch.problems
        response = page.goto(url + "/no/such/page")
        assert response.status == 404 and page.locator("h1").inner_text() == "Page not found"
        shoot(page, f"404-{width_name}")
        # the page's own status is the only thing the console reports
        assert watch.problems == ["console: Failed to load resource: the server responded with a status of 404 (Not Found)"]
        context.close()


def test_light_and_dark_follow_the_system_preference_highlighted_code_included(site, browser):
    url, posts = site
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
        page = context.new_page()
        page.goto(url + "/")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        shoot(page, f"home-desktop-{scheme}")
        last_post_rule = page.locator("main article").last.evaluate("e => getComputedStyle(e).borderBottomWidth")
        footer_rule = page.locator("footer").evaluate("e => getComputedStyle(e).borderTopWidth")
        assert (last_post_rule, footer_rule) == ("0px", "1px")  # one rule between the last post and the footer
        page.goto(f"{url}/posts/{posts[1]['slug']}")
        keyword = page.locator("pre.highlight span.k").first
        assert keyword.inner_text() == "def"
        colours[scheme] = (background, keyword.evaluate("e => getComputedStyle(e).color"),
                           page.locator("pre.highlight").evaluate("e => getComputedStyle(e).color"))
        shoot(page, f"code-desktop-{scheme}")
        context.close()
    assert colours == {"light": ("rgb(255, 255, 255)", "rgb(207, 34, 46)", "rgb(31, 35, 40)"),
                       "dark": ("rgb(13, 17, 23)", "rgb(255, 123, 114)", "rgb(230, 237, 243)")}


def test_axe_finds_no_accessibility_violation_on_any_kind_of_page(site, browser):
    url, posts = site
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make does)")
    pages = {"home": "/", "post": f"/posts/{posts[3]['slug']}", "post with code": f"/posts/{posts[1]['slug']}",
             "tag": "/tags/rivers", "tags": "/tags",
             "search": "/search?q=river", "404": "/no/such/page"}
    found = {}
    run_axe = ("async () => (await axe.run(document)).violations"
               ".map(v => `${v.id}: ${v.nodes.map(n => n.target).join(' | ')}`)")
    for scheme in ("light", "dark"):
        # axe is injected as a script: this context alone lets it past the page's policy
        context = browser.new_context(viewport=DESKTOP, color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        for name, path in pages.items():
            page.goto(url + path)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(run_axe)
            if violations:
                found[f"{name} ({scheme})"] = violations
        context.close()
    assert found == {}
    # the check itself can fail: an image without a text alternative is one violation
    page = browser.new_page()
    page.set_content('<!DOCTYPE html><html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    page.add_script_tag(path=str(AXE))
    assert any(v.startswith("image-alt") for v in page.evaluate(run_axe))


def test_lighthouse_scores_the_home_and_post_pages_100_and_performance_at_least_95(database_url):
    if not lighthouse.LIGHTHOUSE.exists():
        pytest.fail(f"{lighthouse.LIGHTHOUSE} is missing: run `npm ci` (make does)")
    found = lighthouse.measure(database_url)  # the fixture's database, emptied after the test
    assert set(found) == {"home", "post"}
    assert lighthouse.failures(found) == [], found
