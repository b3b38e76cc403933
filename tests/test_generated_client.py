"""A real third-party client: openapi-python-client generates a package from a running server's
/openapi.json with the command and config of docs/openapi-clients.md, and everything below
goes through its functions: log in, create, edit with If-Match (412 when stale), page with
the cursor, revalidate (304), read the three feeds and the export. openapi-spec-validator
(its command line, as the doc gives it) checks the same document."""
import contextlib
import importlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.request

import feedparser
import pytest

from scripts import harness

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "docs", "openapi-python-client.yaml")
PACKAGE = "microblog_client"


@pytest.fixture(scope="module")
def server_and_client(tmp_path_factory):
    """One granian server (its own SQLite file) and the package generated from its spec."""
    database = tmp_path_factory.mktemp("db") / "microblog.sqlite3"
    env = harness.server_env(f"sqlite:///{database}", PUBLIC_BASE_URL="https://blog.example")
    harness.init_db(env)
    server = harness.server(env, 1, "granian").start()
    try:
        spec_path = tmp_path_factory.mktemp("spec") / "openapi.json"
        with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=10) as response:
            spec_path.write_bytes(response.read())
        output = tmp_path_factory.mktemp("generated")
        subprocess.run(
            [os.path.join(harness.BIN, "openapi-python-client"), "generate", "--url", f"{server.url}/openapi.json",
             "--config", CONFIG, "--meta", "none", "--output-path", str(output / PACKAGE)],
            check=True, capture_output=True, text=True, timeout=120,
        )
        sys.path.insert(0, str(output))
        try:
            yield server, spec_path, importlib.import_module(PACKAGE)
        finally:
            sys.path.remove(str(output))
            for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
                del sys.modules[name]
    finally:
        server.stop()


def _module(package, name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_served_spec_passes_openapi_spec_validator(server_and_client):
    _server, spec_path, _package = server_and_client
    checked = subprocess.run([os.path.join(harness.BIN, "openapi-spec-validator"), str(spec_path)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and checked.stdout.strip().endswith("OK"), checked.stdout + checked.stderr


def test_every_operation_has_a_meaningful_generated_function(server_and_client):
    """Each operation of the spec, whatever their number, is a function named for its
    operationId in the module of its tag (listAdminPosts → api.admin.list_admin_posts)."""
    _server, spec_path, package = server_and_client
    spec = json.loads(spec_path.read_text())
    operations = [(op["tags"][0], op["operationId"]) for item in spec["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "responses" in op]
    ids = [operation_id for _tag, operation_id in operations]
    assert operations and len(ids) == len(set(ids)), ids
    for tag, operation_id in operations:
        name = f"api.{tag}.{re.sub(r'(?<!^)(?=[A-Z])', '_', operation_id).lower()}"
        assert hasattr(_module(package, name), "sync_detailed"), name


def test_a_generated_client_writes_edits_pages_and_reads_feeds(server_and_client):
    server, _spec_path, package = server_and_client
    client_module, models = _module(package, "client"), _module(package, "models")
    api = lambda name: _module(package, f"api.{name}")  # noqa: E731
    anonymous = client_module.Client(base_url=server.url)

    tokens = api("auth.login").sync(client=anonymous, body=models.Login(*harness.ADMIN))
    assert isinstance(tokens, models.Tokens) and tokens.token_type == "Bearer"
    admin = client_module.AuthenticatedClient(base_url=server.url, token=tokens.access_token)

    created = [api("admin.create_post").sync_detailed(
        client=admin, body=models.PostInput(content=f"Post {n}: see [about](/about)", title=f"Post {n}"))
        for n in range(3)]
    assert [response.status_code for response in created] == [201] * 3
    post, etag = created[-1].parsed, created[-1].headers["ETag"]
    assert isinstance(post, models.AdminPost) and created[-1].headers["Location"].endswith(f"/{post.id}")

    edited = api("admin.update_post").sync_detailed(
        post.id, client=admin, body=models.PostPatch(title="Edited"), if_match=etag)
    assert edited.status_code == 200 and edited.parsed.title == "Edited"
    assert edited.headers["ETag"] != etag
    stale = api("admin.update_post").sync_detailed(
        post.id, client=admin, body=models.PostPatch(title="Lost update"), if_match=etag)
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)
    assert stale.parsed.status == 412

    seen, cursor, pages = [], _module(package, "types").UNSET, 0
    while True:
        page = api("public.list_posts").sync_detailed(client=anonymous, limit=2, cursor=cursor)
        assert page.status_code == 200 and isinstance(page.parsed, models.PostPage)
        seen += [item.title for item in page.parsed.items]
        pages += 1
        if not page.parsed.next_cursor:
            assert "Link" not in page.headers
            break
        assert page.parsed.next_cursor in page.headers["Link"]
        cursor = page.parsed.next_cursor
    assert seen == ["Edited", "Post 1", "Post 0"] and pages == 2

    first = api("public.list_posts").sync_detailed(client=anonymous)
    again = api("public.list_posts").sync_detailed(client=anonymous, if_none_match=first.headers["ETag"])
    assert again.status_code == 304

    atom = api("feeds.get_atom_feed").sync(client=anonymous)
    rss = api("feeds.get_rss_feed").sync(client=anonymous)
    for document in (atom, rss):
        assert isinstance(document, str)
        feed = feedparser.parse(document)
        assert not feed.bozo and [entry.title for entry in feed.entries] == seen
    assert 'href="https://blog.example/about"' in feedparser.parse(atom).entries[0].content[0].value
    json_feed = api("feeds.get_json_feed").sync(client=anonymous)
    assert isinstance(json_feed, models.JsonFeed) and json_feed.language == "en"
    assert [item.title for item in json_feed.items] == seen

    export = api("transfer.export_site").sync(client=admin)
    records = [json.loads(line) for line in export.payload.read().decode().splitlines()]
    assert len(records) > 3 and sum(record.get("type") == "post" for record in records) == 3


def test_the_example_in_docs_runs_as_written(server_and_client):
    """docs/openapi-clients.md's Python example, with this server's URL and admin."""
    server, _spec_path, _package = server_and_client
    with open(os.path.join(ROOT, "docs", "openapi-clients.md")) as doc:
        example = re.search(r"```python\n(.*?)```", doc.read(), re.S).group(1)
    for line, value in ((r'BASE_URL = "http://127.0.0.1:5000"', f"BASE_URL = {server.url!r}"),
                        (r'USERNAME, PASSWORD = "admin", open("instance/admin-password").read().strip()',
                         f"USERNAME, PASSWORD = {harness.ADMIN!r}")):
        assert line in example
        example = example.replace(line, value)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "docs/openapi-clients.md", "exec"), {})  # noqa: S102
    lines = printed.getvalue().splitlines()
    assert lines[:2] == ["200 Hello", "412 The post has changed since you read it; read it again."]
    assert "<?xml version='1.0' encoding='UTF-8'?>" in lines and "microblog" in lines
    assert json.loads(lines[-1])["format"]
