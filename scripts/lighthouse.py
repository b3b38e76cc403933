"""`make lighthouse`: Lighthouse's scores for the reading site's home and post pages.

Starts microblog under granian on a new SQLite database, publishes a small blog through the API,
then runs Lighthouse (npm, pinned in package.json) against Debian's chromium (CHROME_PATH) with
its default mobile settings. Prints the four scores of each page, writes Lighthouse's reports to
build/lighthouse/, and exits non-zero unless accessibility, best practices and SEO are 100 and
performance at least 95.
"""
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys

import requests
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
REPORTS = ROOT / "build" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
REQUIRED = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


def seed(url, posts=25):
    """A blog as a reader finds it: `posts` public posts (every third titled, every fourth with
    highlighted code, every fifth with a photo, tagged, with Markdown) and one hidden draft.
    Returns the public posts as the admin API made them."""
    login = {"username": harness.ADMIN[0], "password": harness.ADMIN[1]}
    token = requests.post(f"{url}/api/v1/auth/login", json=login, timeout=30).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    photo = requests.post(f"{url}/api/v1/admin/media", headers=headers, files={"file": ("river.webp", _picture())},
                          timeout=30).json()["url"]
    made = []
    for n in range(posts):
        body = {"content": f"Post number {n}: a walk by the **river**, with `code` and a [link](https://example.com/{n}).\n\n"
                           "> A quote, and a list:\n\n- one\n- two\n",
                "publish_at": f"2026-01-01T10:{n:02d}:00Z", "tags": ["walks", "rivers"] if n % 2 else ["notes"]}
        if n % 3 == 0:
            body["title"] = f"Walk {n} <by the water>"
        if n % 4 == 1:
            body["content"] += "\n```python\ndef walk(steps):\n    return steps + 1  # one more\n```\n"
        if n % 5 == 1:
            body["photos"] = [{"url": photo, "alt": f"The river on walk {n}, green banks under a pale sky"}]
        response = requests.post(f"{url}/api/v1/admin/posts", json=body, headers=headers, timeout=30)
        response.raise_for_status()
        made.append(response.json())
    hidden = {"content": "A draft nobody may read", "visible": False}
    requests.post(f"{url}/api/v1/admin/posts", json=hidden, headers=headers, timeout=30).raise_for_status()
    return made


def _picture():
    """A small WebP landscape: sky, water and banks in bands."""
    image = Image.new("RGB", (640, 360), (200, 220, 240))
    for top, colour in ((150, (80, 140, 70)), (220, (60, 110, 160)), (300, (70, 120, 60))):
        image.paste(colour, (0, top, 640, 360))
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def scores(url, name):
    """Lighthouse's scores (0-100) for one page; its JSON report is kept in build/lighthouse/."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{name}.json"
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH") or shutil.which("chromium")}
    subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
                    f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                   env=env, check=True, timeout=300)
    categories = json.loads(report.read_text())["categories"]
    return {key: round(categories[key]["score"] * 100) for key in CATEGORIES}


def failures(found):
    """The scores below what is required, as `page category score`."""
    return [f"{page} {key} {score}" for page, result in found.items()
            for key, score in result.items() if score < REQUIRED[key]]


def measure(database_url=None):
    """Serve a fresh blog (on `database_url`, else a new SQLite file or TEST_DATABASE_URL) and
    score its home page and a post's page."""
    env = harness.server_env(database_url or harness.database_url())
    harness.init_db(env)
    server = harness.server(env, 1, "granian").start()
    try:
        posts = seed(server.url)
        pages = {"home": server.url + "/", "post": f"{server.url}/posts/{posts[21]['slug']}"}
        return {name: scores(url, name) for name, url in pages.items()}
    finally:
        server.stop()


def main():
    found = measure()
    print(f"{'page':6}" + "".join(f"{key:>16}" for key in CATEGORIES))
    for page, result in found.items():
        print(f"{page:6}" + "".join(f"{result[key]:16d}" for key in CATEGORIES))
    print(f"reports: {REPORTS.relative_to(ROOT)}/")
    missed = failures(found)
    if missed:
        sys.exit("below the required scores: " + "; ".join(missed))


if __name__ == "__main__":
    main()
