"""fediverse-pasture's actor verification against microblog, offline on loopback: `make pasture`.

microblog runs under `microblog serve` (OUTBOUND_ALLOW_LOOPBACK=true, PUBLIC_BASE_URL its own
loopback URL); the pasture's verify-actor app runs in its own virtualenv (PASTURE_PYTHON; its
bovine pins clash with ours) on another loopback port. Its six actors fetch the actor, and
post to the inbox signed (bob, claire, emily, frank; claire and frank only answer signed
GETs for their keys) or not (alice, dean). Exits 1 unless every signed actor gets in, no
unsigned one does, and WebFinger matches the actor.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import harness  # noqa: E402

PASTURE_PYTHON = os.environ.get("PASTURE_PYTHON", ".venv-pasture/bin/python")
SIGNED, UNSIGNED = ("bob", "claire", "emily", "frank"), ("alice", "dean")
PASTURE_APP = """
import sys
from fediverse_pasture.verify_actor import build_app
build_app(False, f"127.0.0.1:{sys.argv[1]}", False, 5).run(host="127.0.0.1", port=int(sys.argv[1]))
"""


def verify(actor_uri, pasture_port):
    request = urllib.request.Request(f"http://127.0.0.1:{pasture_port}/?actor_uri={actor_uri}",
                                     headers={"Accept": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=120))


def wait_until_up(url, tries=200):
    for _ in range(tries):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def main():
    env = harness.server_env(harness.database_url(), OUTBOUND_ALLOW_LOOPBACK="true")
    server = harness.server(env, 1, "granian")
    env["PUBLIC_BASE_URL"] = server.url + "/"
    harness.init_db(env)
    server.start()
    pasture_port = harness.free_port()
    scratch = tempfile.mkdtemp()  # the pasture writes its actors' config and a JSON-LD cache where it runs
    pasture = subprocess.Popen([os.path.abspath(PASTURE_PYTHON), "-c", PASTURE_APP, str(pasture_port)],
                               cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{pasture_port}/")
        answer = verify(server.url + "/actor", pasture_port)
    finally:
        pasture.terminate()
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    result = answer["result"]
    print(json.dumps(result, indent=1))
    failures = [name for name in SIGNED if not (result[name]["get_actor"] and result[name]["post_inbox"])]
    failures += [name for name in UNSIGNED if result[name]["post_inbox"]]
    failures += [] if result["webfinger"] else ["webfinger"]
    if failures:
        print(answer["messages"])
        raise SystemExit(f"fediverse-pasture: unexpected results for {', '.join(failures)}")
    print("fediverse-pasture: signed actors accepted, unsigned refused, WebFinger matches")


if __name__ == "__main__":
    main()
