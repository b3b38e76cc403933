"""Swagger UI (/docs) renders in headless Chromium under its Content-Security-Policy, which
allows scripts from this origin only; every other response may load nothing at all."""
import shutil
import subprocess

import pytest
import requests

CHROMIUM = shutil.which("chromium")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def directives(policy):
    """A Content-Security-Policy as {directive: [sources]}."""
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: sources for name, *sources in parts}


def test_docs_allow_scripts_from_this_origin_only(client):
    policy = directives(client.get("/docs").headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_every_other_response_may_load_nothing(client):
    for path in ("/api/v1/posts", "/feed.atom", "/openapi.json", "/no/such/page"):
        policy = directives(client.get(path).headers["Content-Security-Policy"])
        assert policy == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}, path


@pytest.mark.alone
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")
def test_swagger_ui_renders_every_operation_in_chromium_without_a_csp_violation(live_server, client, tmp_path):
    server = live_server("granian", workers=1)
    paths = requests.get(server.url + "/openapi.json").json()["paths"].values()
    operations = sum(method != "parameters" for item in paths for method in item)
    browser = subprocess.run(
        [CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--virtual-time-budget=15000", "--dump-dom", server.url + "/docs"],
        capture_output=True, text=True, timeout=120, check=True)
    assert browser.stdout.count('class="opblock-summary-path"') == operations
    console = [line for line in browser.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "Content Security Policy" in line], console
