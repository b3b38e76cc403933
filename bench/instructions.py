"""The CPU instructions one kind of request costs inside microblog, counted by valgrind: a
comparison of two versions of the code that a shared machine's noise cannot blur (app_time.py's
CPU times move by a tenth from one run to the next on a busy 2-core VM; these by a thousandth).

    .venv/bin/python bench/instructions.py /tmp/blog.sqlite3 '/posts/{slug}'
    PYTHONPATH=<other worktree> .venv/bin/python bench/instructions.py /tmp/blog.sqlite3 '/posts/{slug}'

app_time.py runs twice under `valgrind --tool=cachegrind --cache-sim=no`, with `--requests`
SMALL and LARGE (the same posts, in id order): the difference of the two counts over the
difference of the requests is a request's, without the start-up both runs share (building each
request's WSGI environ is counted, the same for both versions). The path and options are
app_time.py's. Instructions are not time: a cache miss or a system call counts as one. Needs
valgrind (apt-get install valgrind); each run takes about a minute."""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("path")
    parser.add_argument("--method", default="GET", choices=["GET", "POST", "PATCH"])
    parser.add_argument("--small", type=int, default=50, help="requests of the first run")
    parser.add_argument("--large", type=int, default=350, help="requests of the second run")
    args = parser.parse_args()
    small, large = (instructions(args.database, args.path, args.method, requests) for requests in (args.small, args.large))
    print(f"{args.method} {args.path}: {round((large - small) / (args.large - args.small)):,} instructions a request "
          f"({args.large} requests against {args.small})")


def instructions(database, path, method, requests):
    """The instructions of a whole app_time.py run of this many requests."""
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          sys.executable, os.path.join(HERE, "app_time.py"), database, path, "--method", method,
                          "--requests", str(requests), "--rounds", "1", "--in-id-order"],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "0"})  # the same dicts' layouts in every run
    return int(re.search(r"I\s+refs:\s+([\d,]+)", run.stderr).group(1).replace(",", ""))


if __name__ == "__main__":
    main()
