"""`make bench`: microblog against the bare-Flask ceiling and the FastAPI + SQLAlchemy peer.

For each blog size (1,000 posts and POSTS), seed a SQLite database and start the servers: the
ceiling (a bare Flask app under gunicorn with gunicorn.conf.py), microblog under granian (its
production server) and under gunicorn with the same configuration as the ceiling, and the
peer under uvicorn, all with as many workers. Then drive each endpoint with wrk from this
machine, the ceiling measured just before every run so that each ratio compares neighbours in
time. Prints a table and writes bench/results.json and bench/results.png.
"""
import argparse
import contextlib
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from typing import NamedTuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from harness import free_port, start_process  # noqa: E402
from seed import ADMIN_PASSWORD, ADMIN_USERNAME  # noqa: E402

from microblog.web.pagination import encode_cursor  # noqa: E402

SMALL = 1000
UNLIMITED = "1000000000 per minute"  # the limiter still runs on every request; it never refuses


class Server:
    """A server process group: started, awaited until `probe` answers, stopped."""

    def __init__(self, name, command, env, cwd, probe="/"):
        self.name, self.port = name, free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env, self.cwd, self.probe, self.process = env, cwd, probe, None
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = start_process(self.command, self.env, self.cwd, self.url + self.probe, self.name, tries=400)
        return self

    def __exit__(self, *_exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def worker_rss_mb(self):
        """Resident memory of each worker process (the master's children), in MB."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        sizes = []
        for pid in children.split():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
                sizes += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")]
        return [round(size, 1) for size in sizes]


def gunicorn(name, app, env, cwd, probe):
    return Server(name, [f"{BIN}/gunicorn", "--config", os.path.join(ROOT, "gunicorn.conf.py"),
                         "--bind", "127.0.0.1:{port}", app], env, cwd, probe)


def service_env(database):
    return {**os.environ, "MICROBLOG_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{database}", "RATELIMIT_READS": UNLIMITED,
            "RATELIMIT_WRITES": UNLIMITED}


def workers():
    """The worker count gunicorn.conf.py gives on this machine (WEB_CONCURRENCY or 2 × cores + 1)."""
    return int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() * 2 + 1))


def request(url, method="GET", headers=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def fixtures(database, url):
    """What the endpoints ask for: a public post in the middle of the blog, a cursor deep in it,
    a tag and a search word of middling popularity, an admin token and a post to edit."""
    import sqlite3

    connection = sqlite3.connect(database)
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" ")
    public = "visible AND deleted IS NULL AND publication_time <= ?"
    count = connection.execute(f"SELECT COUNT(*) FROM post WHERE {public}", (now,)).fetchone()[0]
    post_id, slug = connection.execute(
        f"SELECT id, slug FROM post WHERE {public} AND id >= ? ORDER BY id LIMIT 1", (now, count // 2)).fetchone()
    time_text, cursor_id = connection.execute(
        f"SELECT publication_time, id FROM post WHERE {public} ORDER BY publication_time DESC, id DESC "
        "LIMIT 1 OFFSET ?", (now, count // 2)).fetchone()
    tag = connection.execute("SELECT name FROM tag ORDER BY id LIMIT 1 OFFSET 20").fetchone()[0]
    word = connection.execute("SELECT name FROM tag ORDER BY id LIMIT 1 OFFSET 100").fetchone()[0]
    connection.close()
    status, _, body = request(f"{url}/api/v1/auth/login", "POST",
                              body={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    assert status == 200, body
    token = json.loads(body)["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    status, _, body = request(f"{url}/api/v1/admin/posts", "POST", admin, {"content": "To be edited."})
    assert status == 201, body
    _, headers, _ = request(f"{url}/api/v1/posts/{post_id}")
    return {"post_id": post_id, "slug": slug, "tag": tag, "word": word, "admin": admin,
            "edited": json.loads(body)["id"], "etag": headers["ETag"],
            "cursor": encode_cursor((datetime.fromisoformat(time_text), cursor_id))}


class Endpoint(NamedTuple):
    path: str
    expected: int  # the status every request must get
    method: str = "GET"  # other methods send bench/wrk/write.lua's bodies
    headers: dict = {}
    in_peer: bool = False  # the peer serves it too


def endpoints(f):
    bearer = {"Authorization": f["admin"]["Authorization"]}
    return {
        "list": Endpoint("/api/v1/posts", 200, in_peer=True),
        "deep page": Endpoint(f"/api/v1/posts?cursor={f['cursor']}", 200),
        "single": Endpoint(f"/api/v1/posts/{f['post_id']}", 200, in_peer=True),
        "by slug": Endpoint(f"/api/v1/posts/by-slug/{f['slug']}", 200),
        "tag": Endpoint(f"/api/v1/posts?tag={f['tag']}", 200),
        "search": Endpoint(f"/api/v1/posts?q={f['word']}", 200),
        "304": Endpoint(f"/api/v1/posts/{f['post_id']}", 304, headers={"If-None-Match": f["etag"]}),
        "feed.json": Endpoint("/feed.json", 200),
        "home page": Endpoint("/", 200),  # the reading site's pages (HTML), beside list and single
        "post page": Endpoint(f"/posts/{f['slug']}", 200),
        "admin create": Endpoint("/api/v1/admin/posts", 201, "POST", bearer),
        "admin patch": Endpoint(f"/api/v1/admin/posts/{f['edited']}", 200, "PATCH", bearer),
    }


def wrk(url, endpoint, duration, connections):
    """requests/s and p50 latency (ms) of one wrk run; fails on any error response."""
    options = [option for name, value in endpoint.headers.items() for option in ("-H", f"{name}: {value}")]
    if endpoint.method != "GET":
        options += ["-s", os.path.join(HERE, "wrk", "write.lua")]
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *options, url, "--", endpoint.method],
        capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors or "Socket errors" in output and re.search(r"Socket errors:.*(read|write|timeout) [1-9]", output):
        raise RuntimeError(f"wrk saw errors on {url}:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    return rate, float(p50.group(1)) * scale


def check(url, endpoint):
    """The request wrk will send gets the expected status (a 304 is a 304, a create a 201)."""
    body = None if endpoint.method == "GET" else {"content": f"A check before the run {secrets.token_hex(4)}."}
    status, _, response = request(url, endpoint.method, endpoint.headers, body)
    if status != endpoint.expected:
        raise RuntimeError(f"{endpoint.method} {url}: {status}, not {endpoint.expected}: {response[:300]!r}")


def measure_size(posts, args, workdir):
    database = os.path.join(workdir, f"bench-{posts}.sqlite3")
    started = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), database, str(posts)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    print(f"\n{posts:,} posts seeded in {seconds:.1f} s", flush=True)
    env = service_env(database)
    peer_env = {**os.environ, "PEER_DATABASE": database}
    with gunicorn("ceiling", "ceiling:app", env, HERE, "/") as ceiling, \
            Server("microblog", [f"{BIN}/microblog", "serve", "--workers", str(workers()),
                                 "--host", "127.0.0.1", "--port", "{port}"], env, ROOT,
                   probe="/healthz") as service, \
            gunicorn("microblog on gunicorn", "wsgi:app", env, ROOT, "/healthz") as on_gunicorn, \
            Server("peer", [f"{BIN}/uvicorn", "app:app", "--port", "{port}", "--workers", str(workers()),
                            "--no-access-log", "--log-level", "warning"], peer_env, os.path.join(HERE, "peer"),
                   probe="/api/v1/posts") as peer:
        f = fixtures(database, service.url)
        runs = {}
        for name, endpoint in endpoints(f).items():
            if args.only and name not in args.only:
                continue
            check(service.url + endpoint.path, endpoint)
            result = runs[name] = {who: [] for who in ("ceiling", "service", "gunicorn", "peer", "ceiling_p50_ms",
                                                       "service_p50_ms", "gunicorn_p50_ms", "peer_p50_ms")}
            for _round in range(args.rounds):
                for who, server, measured in [("ceiling", ceiling, Endpoint("/", 200)), ("service", service, endpoint),
                                              ("gunicorn", on_gunicorn, endpoint)] + (
                        [("peer", peer, Endpoint(endpoint.path, 200))] if endpoint.in_peer else []):
                    rate, p50 = wrk(server.url + measured.path, measured, args.duration, args.connections)
                    result[who].append(rate)
                    result[f"{who}_p50_ms"].append(p50)
            print(f"  {name:13} {statistics.median(result['service']):8.0f} req/s "
                  f"({statistics.median(result['service']) / statistics.median(result['ceiling']):.2f} × ceiling)",
                  flush=True)
        memory = service.worker_rss_mb()
        memory_on_gunicorn = on_gunicorn.worker_rss_mb()
    return {"posts": posts, "seed_seconds": round(seconds, 1), "worker_rss_mb": memory,
            "gunicorn_worker_rss_mb": memory_on_gunicorn,
            "endpoints": {name: summary(result) for name, result in runs.items()}}


def summary(result):
    """Medians over the rounds, and each ratio as the median of its rounds' ratios."""
    out = {key: round(statistics.median(values), 2) for key, values in result.items() if values}
    out["ratio_to_ceiling"] = round(statistics.median(
        s / c for s, c in zip(result["service"], result["ceiling"], strict=True)), 3)
    out["gunicorn_ratio_to_ceiling"] = round(statistics.median(
        s / c for s, c in zip(result["gunicorn"], result["ceiling"], strict=True)), 3)
    if result["peer"]:
        out["ratio_to_peer"] = round(statistics.median(
            s / p for s, p in zip(result["service"], result["peer"], strict=True)), 2)
    out["runs"] = result
    return out


def site_ratio(size, page, api):
    """A site page's rate ÷ the API endpoint's it stands beside, each as its ratio to the ceiling
    (so that both are measured against neighbours in time)."""
    endpoints = size["endpoints"]
    return endpoints[page]["ratio_to_ceiling"] / endpoints[api]["ratio_to_ceiling"]


def commit():
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip() or "unknown"


def table(results):
    sizes = results["sizes"]
    head = f"{'endpoint':14}" + "".join(f"{format(size['posts'], ',') + ' posts':>44}" for size in sizes)
    sub = f"{'':14}" + f"{'req/s':>9}{'×ceiling':>9}{'×peer':>7}{'p50 ms':>9}{'gunicorn×':>10}" * len(sizes)
    lines = [head, sub]
    for name in sizes[0]["endpoints"]:
        row = f"{name:14}"
        for size in sizes:
            e = size["endpoints"][name]
            peer = f"{e['ratio_to_peer']:.2f}" if "ratio_to_peer" in e else "-"
            row += (f"{e['service']:9.0f}{e['ratio_to_ceiling']:9.2f}{peer:>7}{e['service_p50_ms']:9.2f}"
                    f"{e['gunicorn_ratio_to_ceiling']:10.2f}")
        lines.append(row)
    lines.append(f"{'ceiling':14}" + "".join(
        f"{statistics.median(e['ceiling'] for e in s['endpoints'].values()):9.0f}{'':35}" for s in sizes))
    if len(sizes) == 2:
        lines.append("")
        lines.append("p50 growth from the small blog to the large one:")
        for name in sizes[0]["endpoints"]:
            small, large = sizes[0]["endpoints"][name], sizes[1]["endpoints"][name]
            lines.append(f"  {name:14}{large['service_p50_ms'] / small['service_p50_ms']:6.2f} ×")
    lines.append("")
    if all({"home page", "list", "post page", "single"} <= set(s["endpoints"]) for s in sizes):
        lines.append("reading site ÷ API (required ≥ 0.8): " + "; ".join(
            f"{s['posts']:,} posts: home page ÷ list {site_ratio(s, 'home page', 'list'):.2f}, "
            f"post page ÷ single {site_ratio(s, 'post page', 'single'):.2f}" for s in sizes))
    lines.append("")
    lines.append("microblog on granian; ×ceiling: requests/s ÷ bare Flask's on gunicorn in the same round; "
                 "gunicorn×: microblog on gunicorn, ÷ the same ceiling")
    lines.append("worker RSS after the run (MB): " + "; ".join(
        f"{s['posts']:,} posts: {', '.join(str(m) for m in s['worker_rss_mb'])}" for s in sizes))
    lines.append("seeding: " + "; ".join(f"{s['posts']:,} posts in {s['seed_seconds']} s" for s in sizes))
    return "\n".join(lines)


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    names = list(sizes[0]["endpoints"])
    figure, axes = plt.subplots(figsize=(11, 4.8))
    series = [(f"granian (production), {size['posts']:,} posts", size, "ratio_to_ceiling") for size in sizes]
    series.append((f"gunicorn, {sizes[-1]['posts']:,} posts", sizes[-1], "gunicorn_ratio_to_ceiling"))
    width = 0.8 / len(series)
    for i, (label, size, key) in enumerate(series):
        ratios = [size["endpoints"][name][key] for name in names]
        axes.bar([x + i * width for x in range(len(names))], ratios, width, label=label)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(names))], names, rotation=20)
    axes.set_ylabel("requests/s ÷ bare Flask's on gunicorn")
    axes.set_title(f"microblog vs the bare-Flask ceiling ({results['date']}, {results['cores']} cores, "
                   f"commit {results['commit']})")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each endpoint (and its ceiling)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--output", default=HERE)
    parser.add_argument("--only", type=lambda text: text.split(","), default=None,
                        help='endpoints to measure, comma-separated (e.g. "list,single,home page,post page")')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as workdir:
        sizes = [measure_size(posts, args, workdir) for posts in sorted({SMALL, args.posts})]
    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "commit": commit(),
               "cores": os.cpu_count(), "workers": workers(),
               "servers": {"ceiling": "gunicorn (gunicorn.conf.py)", "service": "granian (wsgi)",
                           "gunicorn": "gunicorn (gunicorn.conf.py)", "peer": "uvicorn"},
               "wrk": {"threads": 2, "connections": args.connections, "duration_s": args.duration,
                       "rounds": args.rounds},
               "sizes": sizes}
    print()
    print(table(results))
    with open(os.path.join(args.output, "results.json"), "w") as out:
        json.dump(results, out, indent=1)
    chart(results, os.path.join(args.output, "results.png"))


if __name__ == "__main__":
    main()
