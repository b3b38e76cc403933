"""The writer's journey in Debian's chromium, driven by Playwright by the controls' labels (the
system browser; nothing is downloaded): a wrong password then the right one, a post with two tags
and a photo with alt text previewed and published, found on the home page with the photo, edited; another scheduled a minute later;
hide, delete, restore; sign out, after which a reader finds no draft anywhere. Screenshots at
phone and desktop widths in build/screenshots/, no script error or CSP report, axe-core with no
violation on every writer's page, light and dark, and Lighthouse's scores on /write and
/write/posts. Marked `browser`: it runs once in CI, on SQLite (the Makefile leaves it out of the
PostgreSQL run; the pages' database work is the service's, tested on both)."""
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from PIL import Image

from scripts import harness, lighthouse
from tests.test_site_browser import AXE, DESKTOP, IN_CHROMIUM, PHONE, Watch, shoot

pytestmark = IN_CHROMIUM
DRAFT = "A draft nobody may read"
RUN_AXE = ("async () => (await axe.run(document)).violations"
           ".map(v => `${v.id}: ${v.nodes.map(n => n.target).join(' | ')}`)")


@pytest.fixture
def server(live_server):
    return live_server("granian", workers=1)


def sign_in(page, url, password=harness.ADMIN[1]):
    page.get_by_label("Username").fill(harness.ADMIN[0])
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def photo(tmp_path):
    """A small PNG on disk, as a writer picks one."""
    path = tmp_path / "river.png"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (60, 110, 160)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def row(page, title):
    """A post's entry on /write/posts, by its title."""
    return page.locator("article.row").filter(has=page.get_by_role("link", name=title, exact=True))


def test_a_writer_signs_in_writes_previews_publishes_edits_schedules_hides_deletes_restores_and_signs_out(
        server, browser, tmp_path):
    url = server.url
    picture = photo(tmp_path)
    for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        title = f"A walk by the river ({width_name})"
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        watch = Watch(page, url)

        page.goto(url + "/write")
        assert page.url.startswith(url + "/write/sign-in")
        shoot(page, f"write-sign-in-{width_name}")
        sign_in(page, url, password="not the password")
        assert page.get_by_role("alert").inner_text() == "Invalid username or password."
        sign_in(page, url)
        assert page.url == url + "/write"
        assert page.locator("h1").inner_text() == "New post"

        page.get_by_label("Title").fill(title)
        page.get_by_label("Content").fill("Along the **water**:\n\n```python\nprint('hello')\n```\n")
        page.get_by_label("Tags").fill("walks, rivers")
        page.get_by_label("Photo").set_input_files(str(picture))
        page.get_by_label("Alt text").fill("The river under a blue sky")
        page.get_by_role("button", name="Preview").click()
        preview = page.locator("section.preview article")
        assert preview.locator("img.u-photo").get_attribute("alt") == "The river under a blue sky"
        assert preview.locator("h1").inner_text() == title
        assert preview.locator(".content strong").inner_text() == "water"
        assert preview.locator(".tags li").all_inner_texts() == ["#walks", "#rivers"]
        assert page.get_by_label("Title").input_value() == title  # the form keeps what was typed
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= viewport["width"], f"{width_name}: the editor scrolls sideways ({scroll}px)"
        shoot(page, f"write-preview-{width_name}")
        page.get_by_role("button", name="Publish").click()
        assert page.url.startswith(url + "/posts/")
        assert page.locator("h1").inner_text() == title

        page.goto(url + "/")
        assert page.locator("article h2").first.inner_text() == title
        shown = page.locator("article").first.locator("img.u-photo")
        assert shown.get_attribute("alt") == "The river under a blue sky"
        assert shown.evaluate("img => img.complete && img.naturalWidth") == 120  # the stored image, served

        page.goto(url + "/write/posts")
        row(page, title).get_by_role("link", name="Edit").click()
        assert page.locator("h1").inner_text() == "Edit post"
        page.get_by_label("Content").fill("Along the **water**, edited.")
        shoot(page, f"write-edit-{width_name}")
        page.get_by_role("button", name="Save").click()
        assert page.locator("article .content").inner_text() == "Along the water, edited."

        page.goto(url + "/write")
        later = f"Later ({width_name})"
        # a minute later at least, to the minute (the field's precision)
        soon = (datetime.now(timezone.utc) + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
        page.get_by_label("Title").fill(later)
        page.get_by_label("Content").fill("Scheduled for a minute from now.")
        page.get_by_label("Publish time").fill(soon)
        page.get_by_role("button", name="Publish").click()
        assert page.get_by_role("status").inner_text() == "Saved: readers will see it from its publish time."
        page.goto(url + "/write/posts?scheduled=on")
        assert row(page, later).locator(".state").all_inner_texts() == ["Scheduled"]
        shoot(page, f"write-posts-{width_name}")

        page.goto(url + "/write/posts")
        row(page, title).get_by_role("button", name="Hide").click()
        assert row(page, title).locator(".state").all_inner_texts() == ["Draft"]
        row(page, title).get_by_role("button", name="Delete").click()
        assert row(page, title).count() == 0
        page.goto(url + "/write/posts?deleted=only")
        row(page, title).get_by_role("button", name="Restore").click()
        page.goto(url + "/write/posts")
        row(page, title).get_by_role("button", name="Show").click()
        assert row(page, title).locator(".state").all_inner_texts() == ["Public"]

        page.goto(url + "/write")
        page.get_by_label("Title").fill(f"Draft ({width_name})")
        page.get_by_label("Content").fill(DRAFT)
        page.get_by_label("Draft", exact=True).check()
        page.get_by_role("button", name="Publish").click()
        assert page.get_by_role("status").inner_text() == "Saved as a draft: readers do not see it."

        page.get_by_role("button", name="Sign out").click()
        assert page.get_by_role("status").inner_text() == "You are signed out."
        page.goto(url + "/write/posts")
        assert page.url.startswith(url + "/write/sign-in")
        assert watch.problems == [], watch.problems

        reader = browser.new_context(viewport=viewport).new_page()
        for path in ("/", "/tags", "/search?q=draft", "/feed.atom", "/sitemap.xml", "/write", "/write/posts"):
            reader.goto(url + path)
            assert DRAFT not in reader.content() and later not in reader.content(), path
        context.close()


def test_axe_finds_no_accessibility_violation_on_any_writer_page(server, browser):
    url = server.url
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make does)")
    found = {}
    for scheme in ("light", "dark"):
        # axe is injected as a script: this context alone lets it past the page's policy
        context = browser.new_context(viewport=DESKTOP, color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        page.goto(url + "/write")
        check(page, found, f"sign-in ({scheme})")
        page.get_by_label("Username").fill(harness.ADMIN[0])
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        check(page, found, f"sign-in refused ({scheme})")
        sign_in(page, url)
        check(page, found, f"new post ({scheme})")
        page.get_by_label("Content").fill("")
        page.get_by_label("Publish time").fill("soon")
        page.get_by_label("Content").fill("Text ```code```")
        page.get_by_role("button", name="Preview").click()
        check(page, found, f"refused fields ({scheme})")
        page.get_by_label("Publish time").fill("")
        page.get_by_label("Title").fill(f"Checked {scheme}")
        page.get_by_label("Tags").fill("one two")
        page.get_by_role("button", name="Preview").click()
        check(page, found, f"preview ({scheme})")
        page.get_by_role("button", name="Publish").click()
        page.goto(url + "/write/posts")
        check(page, found, f"posts ({scheme})")
        row(page, f"Checked {scheme}").get_by_role("link", name="Edit").click()
        check(page, found, f"edit ({scheme})")
        page.get_by_role("link", name="Revisions").click()
        check(page, found, f"revisions ({scheme})")
        page.goto(url + "/write/posts")
        row(page, f"Checked {scheme}").get_by_role("button", name="Delete").click()
        page.goto(url + "/write/posts?deleted=only")
        row(page, f"Checked {scheme}").get_by_role("link", name="Purge…").click()
        check(page, found, f"purge ({scheme})")
        context.close()
    assert found == {}


def check(page, found, name):
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    if violations:
        found[name] = violations


def test_lighthouse_scores_write_and_write_posts_100(server):
    if not lighthouse.LIGHTHOUSE.exists():
        pytest.fail(f"{lighthouse.LIGHTHOUSE} is missing: run `npm ci` (make does)")
    found = lighthouse.measure_writer(server.url)
    assert set(found) == {"write", "write-posts"}
    assert lighthouse.failures(found) == [], found
    # the scores were of the pages themselves, not of the sign-in page a reader is sent to
    for name in found:
        report = json.loads((lighthouse.REPORTS / f"{name}.json").read_text())
        assert report["finalDisplayedUrl"] == report["requestedUrl"], report["finalDisplayedUrl"]
    assert requests.get(server.url + "/write", allow_redirects=False, timeout=10).status_code == 303
