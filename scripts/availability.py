"""Availability under slow and idle clients: a reader polls a list page twice a second while
500 clients send login bodies a byte every 3 s, then while 1,100 clients dribble request lines
(reconnecting whenever the server closes them); against granian as the docs started it before
`microblog serve` ("bare granian") and against `microblog serve`. Each run is bounded (about a
minute) and every client and server is stopped after it. Traffic goes to 127.0.0.1 only."""
import argparse
import asyncio
import multiprocessing
import resource
import statistics
import subprocess
import time

import harness
import requests

HOST = "127.0.0.1"
WORKERS = 2 * multiprocessing.cpu_count() + 1
RAMP_SECONDS = 15
READ_SECONDS = 45
POLL_INTERVAL = 0.5
READ_TIMEOUT = 10
FAST_SECONDS = 2
DRIBBLE_SECONDS = 3
SLOW_BODY = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: blog\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100000\r\n\r\n")
REQUEST_LINE = b"GET /api/v1/posts?limit=20 HTTP/1.1\r\n"


class BareGranian(harness.Granian):
    """The production command docs/deploying.md gave before `microblog serve`."""

    def command(self):
        return [f"{harness.BIN}/granian", "--interface", "wsgi", "--host", HOST, "--port",
                str(self.port), "--workers", str(self.workers), "--no-ws", "wsgi:app"]


async def attacker(opening, dribble, state):
    """One client: send `opening`, then the next byte of `dribble` every DRIBBLE_SECONDS; when the
    server closes the connection, open another. Runs until cancelled."""
    while True:
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, state["port"]), 5)
        except (OSError, asyncio.TimeoutError):
            await asyncio.sleep(1)
            continue
        state["open"] += 1
        try:
            writer.write(opening)
            for byte in dribble:
                await writer.drain()
                await asyncio.sleep(DRIBBLE_SECONDS)
                writer.write(bytes([byte]))
            await asyncio.sleep(3600)
        except OSError:
            state["closed_by_server"] += 1
        finally:
            state["open"] -= 1
            writer.close()


def poll(url):
    """GET `url` every POLL_INTERVAL for READ_SECONDS: latencies of answers, and failures."""
    latencies, failures = [], {"timeout": 0, "error": 0, "status": 0}
    end = time.monotonic() + READ_SECONDS
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            status = requests.get(url, timeout=READ_TIMEOUT).status_code
        except requests.Timeout:
            failures["timeout"] += 1
        except requests.RequestException:
            failures["error"] += 1
        else:
            if status == 200:
                latencies.append(time.monotonic() - started)
            else:
                failures["status"] += 1
        time.sleep(max(0.0, started + POLL_INTERVAL - time.monotonic()))
    return latencies, failures


async def attack(server, clients, opening, dribble):
    state = {"port": server.port, "open": 0, "closed_by_server": 0}
    tasks = [asyncio.create_task(attacker(opening, dribble, state)) for _ in range(clients)]
    deadline = time.monotonic() + RAMP_SECONDS
    while state["open"] < clients and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    opened = state["open"]
    try:
        latencies, failures = await asyncio.get_running_loop().run_in_executor(
            None, poll, f"{server.url}/api/v1/posts?limit=20")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return opened, state["closed_by_server"], latencies, failures


def report(kind, name, clients, result):
    opened, closed, latencies, failures = result
    polls = len(latencies) + sum(failures.values())
    fast = sum(latency <= FAST_SECONDS for latency in latencies)
    median = f"{statistics.median(latencies) * 1000:.0f} ms" if latencies else "-"
    print(f"{kind:13} {name:26} {opened:>5}/{clients:<5} {polls:>5} {fast:>5} "
          f"({100 * fast / max(polls, 1):5.1f} %) {median:>8} {failures['timeout']:>8} "
          f"{failures['error'] + failures['status']:>6} {closed:>7}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slow-bodies", type=int, default=500)
    parser.add_argument("--idle", type=int, default=1100)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    attacks = [(f"{args.slow_bodies} slow bodies", args.slow_bodies, SLOW_BODY, b" " * 1000),
               (f"{args.idle} idle connections", args.idle, b"", REQUEST_LINE)]
    print(f"{WORKERS} workers, {harness.database_url().split(':')[0]}; a reader GETs a list page every {POLL_INTERVAL} s for "
          f"{READ_SECONDS} s (timeout {READ_TIMEOUT} s) once the attack's connections are open")
    print(f"{'server':13} {'attack':26} {'open':>11} {'polls':>5} {'≤ 2 s':>5} {'':9} {'median':>8} "
          f"{'timeouts':>8} {'errors':>6} {'closed':>7}")
    for kind, server_class in (("bare granian", BareGranian), ("serve", harness.Granian)):
        for name, clients, opening, dribble in attacks:
            env = harness.server_env(harness.database_url())
            harness.init_db(env)
            subprocess.run([f"{harness.BIN}/flask", "--app", "microblog", "seed", "--count", "40"],
                           env=env, cwd=harness.ROOT, check=True, stdout=subprocess.DEVNULL)
            server = server_class(env, WORKERS).start()
            try:
                report(kind, name, clients, asyncio.run(attack(server, clients, opening, dribble)))
            finally:
                server.kill()


if __name__ == "__main__":
    main()
