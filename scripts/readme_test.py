"""The README's command lines, as a new user runs them (`make readme-test`, docs/testing.md).

Clones the repository's committed HEAD into a temporary folder, then runs the fenced `sh` blocks
of README.md and then of docs/api.md, in order, in one bash shell from the clone's folder; any
failing command fails the test (`set -euo pipefail`, and curl fails on HTTP errors). A comment
on the line before a block changes how it runs:

    <!-- readme-test: background -->      long-running (make run): started, waited for, stopped
    <!-- readme-test: skip (reason) -->   not run

The only change to the text: 127.0.0.1:5000 becomes a free port, exported as PORT for make run.
Then it checks that a restarted `make run` no longer prints the admin password that docs/api.md
changed, and that `make new-admin-password` gives one that logs in. Standard library only.
"""
import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCUMENTS = ("README.md", "docs/api.md")
SHELLS = {"sh", "bash", "shell"}
MARKER = re.compile(r"^<!--\s*readme-test:\s*(skip|background)\b.*-->\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)")
HEALTH_WAIT_SECONDS = 600  # the first make run creates the virtualenv
PRELUDE = r"""set -euo pipefail
# curl as if every call had --fail-with-body: an HTTP error fails the command, its body shown.
curl() { command curl --fail-with-body "$@"; }
trap 'echo "readme-test: this command failed: $BASH_COMMAND" >&2' ERR
wait_healthy() {
  local tries=0
  until command curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
    tries=$((tries + 1))
    if ((tries > HEALTH_TRIES)); then echo "readme-test: the server never answered /healthz" >&2; return 1; fi
    sleep 0.5
  done
}
"""


def blocks(path):
    """(line number, mode, text) of each fenced shell block; mode is run, background or skip."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    found, mode, index = [], None, 0
    while index < len(lines):
        marker, fence = MARKER.match(lines[index]), FENCE.match(lines[index])
        if marker:
            mode = marker.group(1)
        elif fence:
            end = index + 1
            while end < len(lines) and not lines[end].startswith(fence.group(1)):
                end += 1
            if fence.group(2) in SHELLS:
                found.append((index + 1, mode or "run", "\n".join(lines[index + 1:end])))
            mode, index = None, end
        elif lines[index].strip():
            mode = None  # a marker belongs to the block right below it
        index += 1
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def script(clone, port, logs):
    """One bash script: the prelude, then every block (background ones written to files)."""
    parts = [PRELUDE]
    for document in DOCUMENTS:
        for line, mode, text in blocks(os.path.join(clone, document)):
            text = text.replace("127.0.0.1:5000", f"127.0.0.1:{port}")
            where = f"{document}:{line}"
            if mode == "skip":
                parts.append(f"echo; echo '### {where}: skipped' >&2")
            elif mode == "background":
                name = f"background-{len(parts)}"
                with open(os.path.join(logs, f"{name}.sh"), "w") as handle:
                    handle.write(text + "\n")
                parts.append(f"echo; echo '### {where}: in the background (log: {logs}/{name}.log)' >&2\n"
                             f"setsid bash {logs}/{name}.sh >{logs}/{name}.log 2>&1 </dev/null &\n"
                             f"echo $! >>{logs}/background.pids\nwait_healthy")
            else:
                parts.append(f"echo; echo '### {where}' >&2\n{text}")
    return "\n".join(parts) + "\n"


def stop_background(logs):
    """SIGTERM to every background block's process group, then SIGKILL to what is left."""
    path = os.path.join(logs, "background.pids")
    if not os.path.exists(path):
        return
    with open(path) as handle:
        groups = [int(pid) for pid in handle.read().split()]
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal_number)
        time.sleep(2)
    os.unlink(path)


def wait_healthy(port, process):
    for _ in range(HEALTH_WAIT_SECONDS * 2):
        if process.poll() is not None:
            raise AssertionError(f"make run exited with {process.returncode}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        time.sleep(0.5)
    raise AssertionError("make run never answered /healthz")


def login(port, password):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login", method="POST",
        data=json.dumps({"username": "admin", "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def check_stale_password(clone, port, env, logs):
    """docs/api.md changed the password: make run must not print the file's, and must say how
    to set a new one; make new-admin-password must then give one that logs in."""
    password_file = os.path.join(clone, "instance", "admin-password")
    with open(password_file) as handle:
        stale = handle.read().strip()
    output = os.path.join(logs, "make-run-again.log")
    with open(output, "w") as log:
        process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(port, process)
        with open(output) as handle:
            printed = handle.read()
        assert login(port, stale) == 401, "the password in instance/admin-password still logs in"
        assert stale not in printed, f"make run printed a password that no longer works:\n{printed}"
        assert "make new-admin-password" in printed, f"make run did not say how to set a new password:\n{printed}"
        subprocess.run(["make", "new-admin-password"], cwd=clone, env=env, check=True, stdout=subprocess.DEVNULL)
        with open(password_file) as handle:
            assert login(port, handle.read().strip()) == 200, "make new-admin-password's password does not log in"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone and its logs")
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="microblog-readme-")
    clone, logs = os.path.join(work, "microblog"), os.path.join(work, "logs")
    os.makedirs(logs)
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HEALTH_TRIES": str(HEALTH_WAIT_SECONDS * 2)}
    for name in ("VIRTUAL_ENV", "MICROBLOG_ENV", "SECRET_KEY", "DATABASE_URL", "TEST_DATABASE_URL"):
        env.pop(name, None)  # a new user's shell has none of them
    started = time.monotonic()
    failed = True
    try:
        subprocess.run(["git", "clone", "--quiet", ROOT, clone], check=True)
        with open(os.path.join(logs, "readme.sh"), "w") as handle:
            handle.write(script(clone, port, logs))
        print(f"readme-test: {clone}, port {port}; the blocks as run: {logs}/readme.sh", flush=True)
        result = subprocess.run(["bash", os.path.join(logs, "readme.sh")], cwd=clone, env=env,
                                stdin=subprocess.DEVNULL, timeout=1500)
        stop_background(logs)
        if result.returncode:
            for name in sorted(os.listdir(logs)):
                if name.endswith(".log"):
                    with open(os.path.join(logs, name)) as handle:
                        print(f"--- {name} (end) ---\n" + handle.read()[-3000:], file=sys.stderr)
            sys.exit(f"readme-test: FAILED (exit {result.returncode}); see the command above")
        check_stale_password(clone, port, env, logs)
        failed = False
        print(f"readme-test: every command line ran as written ({time.monotonic() - started:.0f} s)")
    finally:
        stop_background(logs)
        if arguments.keep or failed:
            print(f"readme-test: kept {work}", file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
