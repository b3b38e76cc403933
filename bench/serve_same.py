"""Serve any WSGI app on granian exactly as `microblog serve` serves microblog:
`python bench/serve_same.py MODULE:APP --port PORT --workers N` (run where MODULE imports).

The server is microblog.web.serve.build_server's own (interface, HTTP/1 settings, workers,
backpressure, blocking threads, timeouts, respawning), with only its target swapped, so the
baselines follow whatever microblog's production server settings become."""
import argparse
import os
import sys

from microblog.web.serve import build_server


def server(target, host, port, workers):
    built = build_server(host, port, workers)
    built.target, built.factory = target, False  # granian loads the target only when it serves
    return built


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    server(args.target, args.host, args.port, args.workers).serve()


if __name__ == "__main__":
    main()
