"""Where one request's time goes, in-process (no server, no network): a cProfile of N requests
to one path of microblog on a seeded blog, hottest functions first.

    .venv-bench/bin/python bench/seed.py /tmp/blog.sqlite3 100000
    .venv-bench/bin/python bench/profile_endpoint.py /tmp/blog.sqlite3 '/feed.atom' --requests 300

--header 'If-None-Match: "…"' sends a header; --sort tottime ranks by own time. For the note
issue 18 asks for: a profile of each slow endpoint, before and after."""
import argparse
import cProfile
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from servers import service_env  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--header", action="append", default=[], help="NAME: VALUE")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    os.environ.update(service_env(os.path.abspath(args.database)))
    from microblog import create_app

    client = create_app().test_client()
    headers = dict(header.split(": ", 1) for header in args.header)
    status = client.get(args.path, headers=headers).status_code  # warm: the first request builds caches
    print(f"GET {args.path}: {status}, {args.requests} requests profiled")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"{stats.total_tt / args.requests * 1000:.2f} ms a request under the profiler")
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
