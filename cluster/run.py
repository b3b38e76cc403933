"""`make cluster-test`: PostgreSQL, Redis, two microblog hosts and HAProxy on this machine's
loopback addresses; checks what several hosts must share and survive; prints a table of the
figures (Markdown, as docs/cluster.md shows it) and exits 1 if any promise failed."""
import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import traceback

import activitypub
import checks
import faults
import webmention
from parts import ROOT, AppHost, HAProxy, Postgres, Redis, Teardown

HOSTS = ("127.0.1.1", "127.0.1.2")
BALANCER, DATABASE, REDIS = "127.0.1.3", "127.0.1.4", "127.0.1.5"
READ_LIMIT = 60


class Report:
    def __init__(self):
        self.rows = []

    def check(self, what, ok, figures, detail=""):
        self.rows.append((what, ok, figures))
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {figures}", flush=True)
        if detail:
            print(detail, flush=True)

    def table(self):
        lines = ["| what | result | |", "|---|---|---|"]
        lines += [f"| {what} | {figures} | {'ok' if ok else '**FAILED**'} |" for what, ok, figures in self.rows]
        return "\n".join(lines)

    @property
    def passed(self):
        return bool(self.rows) and all(ok for _, ok, _ in self.rows)


class Cluster:
    def __init__(self, teardown, bin_dir):
        self.teardown = teardown
        self.admin = ("admin", secrets.token_urlsafe(18))
        self.postgres = Postgres(teardown, DATABASE)
        self.redis = Redis(teardown, REDIS)
        self.env = {**os.environ, "MICROBLOG_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                    "DATABASE_URL": self.postgres.url, "RATELIMIT_STORAGE_URI": self.redis.uri,
                    "PROXY_COUNT": "1", "ADMIN_USERNAME": self.admin[0], "ADMIN_PASSWORD": self.admin[1]}
        self.app_config = {"MICROBLOG_ENV": "production", "SECRET_KEY": self.env["SECRET_KEY"],
                           "DATABASE_URL": self.postgres.url, "RATELIMIT_ENABLED": False}
        self.bin_dir = bin_dir
        self.hosts = [AppHost(teardown, f"app{i}", address, self.env, bin_dir)
                      for i, address in enumerate(HOSTS, 1)]
        self.balancer = HAProxy(teardown, BALANCER, self.hosts)

    def start(self):
        self.postgres.init().start()
        self.redis.start()
        subprocess.run([f"{self.bin_dir}/flask", "--app", "microblog", "init-db"], env=self.env, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        self.start_hosts()
        self.balancer.start()

    def start_hosts(self, **settings):
        for host in self.hosts:
            host.env = {**self.env, **settings}
        for host in self.hosts:
            host.start()

    def restart_for_the_outbox(self, **settings):
        """Both hosts public at the balancer's URL and allowed to reach loopback peers; host 1
        runs no delivery worker, so that its work is seen done by host 2's."""
        one, two = self.hosts
        for host in self.hosts:
            host.stop()
        public = {"PUBLIC_BASE_URL": "http://%s:%d/" % self.balancer.base, "OUTBOUND_ALLOW_LOOPBACK": "true",
                  "DELIVERY_POLL_INTERVAL": "0.2", **settings}
        one.env = {**self.env, **public, "SERVE_RUNS_WORKER": "false"}
        two.env = {**self.env, **public}
        one.start()
        two.start()

    def restart_hosts(self, **settings):
        for host in self.hosts:
            host.stop()
        self.start_hosts(**settings)
        faults.wait_for(lambda: set(self.balancer.states().values()) == {"UP"}, 15)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".venv", "bin"), help="the venv's bin folder")
    parser.add_argument("--table", help="also write the table to this file")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("cluster-test: stopped (SIGTERM)"))
    started, report, teardown = time.monotonic(), Report(), Teardown()
    failed_hard = False
    try:
        cluster = Cluster(teardown, args.bin)
        cluster.start()
        print(f"cluster up in {time.monotonic() - started:.1f} s: PostgreSQL {DATABASE}, Redis {REDIS}, "
              f"hosts {', '.join(HOSTS)} (2 workers each), HAProxy {BALANCER}", flush=True)
        checks.contract(cluster, report)
        checks.tokens(cluster, report)
        checks.login_throttling(cluster, report)
        checks.scheduled_post(cluster, report)
        checks.token_expiry(cluster, report)
        checks.micropub(cluster, report)
        checks.media(cluster, report)
        cluster.restart_for_the_outbox(DELIVERY_LEASE=str(activitypub.LEASE),
                                       DELIVERY_TIMEOUT=str(activitypub.LEASE - 1), DELIVERY_RETRY_BASE="0.5")
        webmention.received_through_one_verified_by_the_other(cluster, report)
        activitypub.follow_then_kill_the_delivering_host(cluster, report)
        cluster.restart_hosts()
        faults.kill_a_host(cluster, report)
        faults.restart_postgres(cluster, report)
        cluster.restart_hosts(RATELIMIT_READS=f"{READ_LIMIT} per minute")
        checks.global_limit(cluster, report, READ_LIMIT)
        checks.redis_stopped(cluster, report, READ_LIMIT)
        errors = sum(log.count("Traceback") for log in (h.log() for h in cluster.hosts))
        report.check("tracebacks in the hosts' logs", errors == 0, str(errors))
    except BaseException:  # noqa: BLE001 - a part that failed to start, Ctrl-C, SIGTERM: report, tear down
        traceback.print_exc()
        failed_hard = True
    finally:
        teardown.close(keep_logs_on=sys.stdout if failed_hard or not report.passed else None)
    print(f"\nmake cluster-test, {time.strftime('%d %b %Y')}, {os.cpu_count()} cores, "
          f"{time.monotonic() - started:.0f} s:\n")
    print(report.table())
    if args.table:
        with open(args.table, "w") as out:
            out.write(report.table() + "\n")
    return 0 if report.passed and not failed_hard else 1


if __name__ == "__main__":
    sys.exit(main())
