"""Libraries a worker loads only when a request needs them (docs/benchmarks.md, "Third pass:
worker memory" and "Fourth pass: worker memory"): Pygments for a page with highlighted code,
Pillow for an upload, and gunicorn never (a granian worker serves no request with it). Each check runs
in a fresh Python process (this one has imported everything already), which builds the app,
answers requests and says which of the libraries it has imported after each."""
import json
import struct
import subprocess
import sys
import zlib

from conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CHEAP_HASH, TEST_SECRET

LAZY = ("PIL", "gunicorn", "pygments")

SCRIPT = """
import json, sys
from microblog import create_app
from microblog.data import migrations
from microblog.service import auth

def loaded():
    return sorted(name for name in {lazy!r} if name in sys.modules)

app = create_app({{"TESTING": True, "MICROBLOG_ENV": "testing", "SECRET_KEY": {secret!r},
                  "DATABASE_URL": {url!r}, "PASSWORD_HASH_METHOD": {hash!r}, "RATELIMIT_ENABLED": False}})
with app.app_context():
    migrations.upgrade(app.extensions["database"])
    auth.set_admin({username!r}, {password!r}, {hash!r})
client = app.test_client()
token = client.post("/api/v1/auth/login", json={{"username": {username!r}, "password": {password!r}}}).get_json()
admin = {{"Authorization": "Bearer " + token["access_token"]}}
steps = {{"started": loaded()}}

def step(name, response):
    assert response.status_code < 400, (name, response.status_code, response.get_data(as_text=True))
    steps[name] = loaded()

plain = client.post("/api/v1/admin/posts", json={{"content": "Plain *words*, no code."}}, headers=admin).get_json()
step("admin create", client.get("/api/v1/posts/%d" % plain["id"]))
step("JSON reads", client.get("/api/v1/posts"))
step("a post page without code", client.get("/posts/" + plain["slug"]))
step("feeds", client.get("/feed.atom"))
code = client.post("/api/v1/admin/posts", json={{"content": "```python\\nprint(1)\\n```"}}, headers=admin).get_json()
step("a post page with highlighted code", client.get("/posts/" + code["slug"]))
step("an upload", client.post("/api/v1/admin/media", headers=admin,
                              data={{"file": (open({picture!r}, "rb"), "dot.png", "image/png")}}))
print(json.dumps(steps))
"""


def png_dot():
    """A 1×1 PNG written by hand (Pillow would be imported by writing it)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\xff\x00\x00"))
            + chunk(b"IEND", b""))


def imported_after_each_step(tmp_path):
    picture = tmp_path / "dot.png"
    picture.write_bytes(png_dot())
    script = SCRIPT.format(lazy=LAZY, secret=TEST_SECRET, url=f"sqlite:///{tmp_path}/lazy.sqlite3",
                           hash=CHEAP_HASH, username=ADMIN_USERNAME, password=ADMIN_PASSWORD, picture=str(picture))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_worker_imports_pygments_and_pillow_only_when_a_request_needs_them_and_gunicorn_never(tmp_path):
    steps = imported_after_each_step(tmp_path)
    assert steps == {
        "started": [],
        "admin create": [],
        "JSON reads": [],
        "a post page without code": [],
        "feeds": [],
        "a post page with highlighted code": ["pygments"],
        "an upload": ["PIL", "pygments"],
    }


FORKED_WORKER = """
import json, os, re
from microblog import create_app
from microblog.data import migrations
from microblog.service import auth

CONFIG = {{"TESTING": True, "MICROBLOG_ENV": "testing", "SECRET_KEY": {secret!r}, "DATABASE_URL": {url!r},
          "PASSWORD_HASH_METHOD": {hash!r}, "RATELIMIT_ENABLED": False}}

def cryptography_kib():
    total, mapping = 0, ""
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):
                mapping = line.split()[-1]
            elif line.startswith("Rss:") and "/cryptography/" in mapping:
                total += int(line.split()[1])
    return total

parent = create_app(CONFIG)
with parent.app_context():
    migrations.upgrade(parent.extensions["database"])
    auth.set_admin({username!r}, {password!r}, {hash!r})
pid = os.fork()
if pid == 0:
    app = create_app(CONFIG)
    client = app.test_client()
    before = cryptography_kib()
    token = client.post("/api/v1/auth/login", json={{"username": {username!r}, "password": {password!r}}}).get_json()
    created = client.post("/api/v1/admin/posts", json={{"content": "Signed in."}},
                          headers={{"Authorization": "Bearer " + token["access_token"]}})
    print(json.dumps({{"status": created.status_code, "grew_kib": cryptography_kib() - before}}), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_forked_worker_signs_and_checks_tokens_without_mapping_cryptographys_key_readers(tmp_path):
    """PyJWT checks that an HMAC secret is no PEM, SSH or DER key by parsing it with cryptography,
    which maps 4 MB of its library into the process that runs it. The app's secret is checked when
    the app is built: `serve` builds one before granian forks its workers, which build theirs, log
    in and check tokens without running that check again."""
    script = FORKED_WORKER.format(secret=TEST_SECRET, url=f"sqlite:///{tmp_path}/forked.sqlite3", hash=CHEAP_HASH,
                                  username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    child = json.loads(done.stdout.splitlines()[-1])
    assert child["status"] == 201
    assert child["grew_kib"] < 1024, child
