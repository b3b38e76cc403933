"""Served admin writes and the CPU they cost (docs/benchmarks.md, "Eighth pass").

    .venv-bench/bin/python bench/write_cpu.py BLOG.sqlite3 --kind create --connections 16 --workers 5

`microblog serve` on a copy of the blog (seeded by seed.py), and wrk sending the bench's admin
creates or patches (the rows of rows.py, rotate.lua). For each run: writes a second and their
p50; how busy the machine was (/proc/stat); and the CPU time and context switches of the
server's processes' threads (/proc/PID/task), each divided by the writes. make bench gives the
rate alone; this tells whether a change saves CPU or only waiting.
"""
import argparse
import os
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402
from measure import Run, check  # noqa: E402
from rows import rows  # noqa: E402

TICKS_A_SECOND = os.sysconf("SC_CLK_TCK")


def machine_ticks():
    """(all, idle) CPU ticks of the machine so far; idle counts the time waiting on I/O."""
    with open("/proc/stat") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]


def threads_ticks(pids):
    """(CPU ticks, context switches) of every thread of these processes so far."""
    cpu = switches = 0
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            cpu += int(fields[11]) + int(fields[12])  # utime, stime
            with open(f"/proc/{pid}/task/{task}/status") as status:
                switches += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
    return cpu, switches


def measured_run(run, server, seconds, connections):
    """One wrk run; its figures as a dict."""
    pids = [server.process.pid, *server.worker_pids()]
    all_before, idle_before = machine_ticks()
    cpu_before, switches_before = threads_ticks(pids)
    rate, p50 = run.wrk(server.url, seconds, connections)
    all_after, idle_after = machine_ticks()
    cpu_after, switches_after = threads_ticks(pids)
    writes = rate * seconds
    return {"writes_per_s": round(rate), "p50_ms": p50,
            "busy_percent": round(100 * (1 - (idle_after - idle_before) / (all_after - all_before))),
            "server_cpu_ms_per_write": round((cpu_after - cpu_before) / TICKS_A_SECOND / writes * 1000, 2),
            "context_switches_per_write": round((switches_after - switches_before) / writes, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("blog", help="a blog seeded by bench/seed.py (not changed: a copy is served)")
    parser.add_argument("--kind", choices=["create", "patch"], default="create")
    parser.add_argument("--connections", type=int, default=16, help="wrk's (make bench: 16)")
    parser.add_argument("--workers", type=int, default=servers.workers(), help="microblog serve's")
    parser.add_argument("--seconds", type=int, default=4, help="of each run")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ["WEB_CONCURRENCY"] = str(args.workers)  # servers.workers() reads it
    with tempfile.TemporaryDirectory() as workdir:
        blog = os.path.join(workdir, "blog.sqlite3")
        with sqlite3.connect(args.blog) as source, sqlite3.connect(blog) as copy:
            source.backup(copy)
        with servers.microblog_granian(servers.service_env(blog)) as server:
            row = next(row for row in rows(blog, server.url) if row.name == f"admin {args.kind}")
            check(server.url, row)
            run = Run(row, workdir)
            for _ in range(args.runs):
                figures = measured_run(run, server, args.seconds, args.connections)
                print(" ".join(f"{name} {value}" for name, value in figures.items()), flush=True)


if __name__ == "__main__":
    main()
