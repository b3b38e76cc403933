"""`make bench`: microblog against bare Flask on the same server, with the server's own limit.

For each blog size (1,000 posts and POSTS), seed a SQLite database and start, all with as many
workers: a raw WSGI callable and a bare Flask app on granian with `microblog serve`'s settings
(serve_same.py), the same Flask app on gunicorn with gunicorn.conf.py, microblog under both
(`microblog serve`, and gunicorn.conf.py), and the FastAPI peer under uvicorn. Then drive each
row (rows.py) with wrk from this machine, the ceiling on the row's own server (bare Flask)
measured just before each of the row's runs, so that each ratio compares neighbours in time.
Prints a table with issue 28's targets met or missed (targets.py) and writes
bench/results.json and bench/results.png.
"""
import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import report  # noqa: E402
import servers  # noqa: E402
from measure import Run, check  # noqa: E402
from rows import Row, rows  # noqa: E402
from targets import evaluate  # noqa: E402

SMALL = 1000
# The server's own limit and the two ceilings, measured together at the start of every size.
LIMITS = ("raw WSGI (granian)", "bare Flask (granian)", "bare Flask (gunicorn)")


def seed(database, posts):
    started = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), database, str(posts)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 1)


def measure_size(posts, args, workdir):
    database = os.path.join(workdir, f"bench-{posts}.sqlite3")
    seconds = seed(database, posts)
    print(f"\n{posts:,} posts seeded in {seconds:.1f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
    started = time.perf_counter()
    env = servers.service_env(database)
    with contextlib.ExitStack() as stack:
        run = stack.enter_context
        limits = dict(zip(LIMITS, [run(servers.granian("raw WSGI", "raw_wsgi:app", env, HERE)),
                                   run(servers.granian("bare Flask", "ceiling:app", env, HERE)),
                                   run(servers.gunicorn("bare Flask on gunicorn", "ceiling:app", env, HERE))],
                          strict=True))
        ceilings = {"granian": limits["bare Flask (granian)"], "gunicorn": limits["bare Flask (gunicorn)"]}
        microblog = {"granian": run(servers.microblog_granian(env)),
                     "gunicorn": run(servers.gunicorn("microblog on gunicorn", "wsgi:app", env, ROOT, "/healthz"))}
        selected = [row for row in rows(database, microblog["granian"].url) if re.search(args.only, row.key)]
        peer = run(servers.peer(database)) if any(row.peer for row in selected) else None
        measured = {"limits": measure_limits(limits, args, workdir),
                    "rows": {row.key: measure_row(row, microblog[row.server], ceilings[row.server], peer, args,
                                                  workdir) for row in selected}}
        memory = {"worker_rss_mb": microblog["granian"].worker_rss_mb(),
                  "gunicorn_worker_rss_mb": microblog["gunicorn"].worker_rss_mb()}
    return {"posts": posts, "seed_seconds": seconds, "measure_seconds": round(time.perf_counter() - started),
            **memory, **measured}


def measure_limits(limits, args, workdir):
    runs = {name: Run(Row(name, server.kind, "/"), workdir) for name, server in limits.items()}
    found = {name: {"rate": [], "p50_ms": []} for name in limits}
    for _round in range(args.rounds):
        for name, server in limits.items():
            rate, p50 = runs[name].wrk(server.url, args.duration, args.connections)
            found[name]["rate"].append(rate)
            found[name]["p50_ms"].append(p50)
    flask = found["bare Flask (granian)"]["rate"]
    out = {}
    for name, result in found.items():
        out[name] = {"rate": round(statistics.median(result["rate"])),
                     "ratio": ratio(result["rate"], flask), "p50_ms": round(statistics.median(result["p50_ms"]), 2),
                     "runs": result}
        print(f"  {name:24} {out[name]['rate']:8.0f} req/s ({out[name]['ratio']:.2f} × bare Flask on granian)",
              flush=True)
    return out


def measure_row(row, server, ceiling, peer, args, workdir):
    """The row's runs, each after one of the ceiling on the same server (writes: no ceiling)."""
    check(server.url, row)
    runs = {"self": Run(row, workdir), "ceiling": Run(Row("ceiling", row.server, "/"), workdir)}
    if row.peer:
        runs["peer"] = Run(Row("peer", "uvicorn", row.path), workdir)
    targets = {"ceiling": ceiling, "self": server, "peer": peer}
    found = {who: {"rate": [], "p50_ms": []} for who in runs}
    for _round in range(args.rounds):
        for who, measuring in runs.items():
            if who == "ceiling" and row.kind == "write":
                continue
            rate, p50 = measuring.wrk(targets[who].url, args.duration, args.connections)
            found[who]["rate"].append(rate)
            found[who]["p50_ms"].append(p50)
    own = found["self"]
    out = {"server": row.server, "kind": row.kind, "method": row.method,
           "path": row.path if not row.paths else f"{row.paths[0]} … ({len(row.paths):,} paths)",
           "rate": round(statistics.median(own["rate"])), "p50_ms": round(statistics.median(own["p50_ms"]), 2)}
    if found["ceiling"]["rate"]:
        out["ceiling"] = round(statistics.median(found["ceiling"]["rate"]))
        out["ratio"] = ratio(own["rate"], found["ceiling"]["rate"])
    if row.peer:
        out["ratio_to_peer"] = ratio(own["rate"], found["peer"]["rate"])
    if row.paths:
        out["distinct_paths"], out["requests"] = len(row.paths), runs["self"].sent
    out["runs"] = found
    print(f"  {row.key:24} {out['rate']:8.0f} req/s" + (
        f" ({out['ratio']:.2f} × bare Flask on {row.server})" if "ratio" in out else ""), flush=True)
    return out


def ratio(rates, baselines):
    """The median of the rounds' ratios (each round's run ÷ the baseline's run just before it)."""
    return round(statistics.median(r / b for r, b in zip(rates, baselines, strict=True)), 3)


def commit():
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each row (and its ceiling)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", default="", help="measure only the rows whose name matches this regex "
                        "(written to results-subset.json and .png)")
    parser.add_argument("--output", default=HERE)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as workdir:
        sizes = [measure_size(posts, args, workdir) for posts in sorted({SMALL, args.posts})]
    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "commit": commit(),
               "cores": os.cpu_count(), "workers": servers.workers(),
               "load_average": {"start": [round(x, 2) for x in load], "end": [round(x, 2) for x in os.getloadavg()]},
               "servers": {"granian": "microblog serve's settings (bench/serve_same.py for the baselines)",
                           "gunicorn": "gunicorn.conf.py", "peer": "uvicorn"},
               "wrk": {"threads": 2, "connections": args.connections, "duration_s": args.duration,
                       "rounds": args.rounds},
               "command": " ".join(["bench/run.py", *sys.argv[1:]]), "sizes": sizes}
    results["targets"] = {key: [{"target": what, "value": value, "met": met} for what, value, met in found]
                          for key, found in evaluate(sizes).items()}
    print()
    print(report.table(results))
    name = "results-subset" if args.only else "results"  # a quick look leaves the full results alone
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, f"{name}.json"), "w") as out:
        json.dump(results, out, indent=1, ensure_ascii=False)
    report.chart(results, os.path.join(args.output, f"{name}.png"))
    print(f"\nwritten: {os.path.join(args.output, name)}.json and .png")


if __name__ == "__main__":
    main()
