"""Webmention across hosts: one received through a host that runs no delivery worker is
verified by the other host's worker (the work is in the shared database), and the post's page
shows it on both hosts at once (each host's reader cache sees the change). The hosts run as
run.py's Cluster.restart_for_the_outbox leaves them."""
import sys
import time

from client import call, login
from parts import ROOT

sys.path.append(ROOT)
from tests.peers.webmention_site import Site  # noqa: E402 - the peer lives with the tests

SOURCE_HOST = "127.0.1.6"
REPLY = "a reply verified across hosts"


def received_through_one_verified_by_the_other(cluster, report):
    one = cluster.hosts[0]
    balancer = "http://%s:%d/" % cluster.balancer.base
    source = Site(SOURCE_HOST).start()
    try:
        token = login(one.base, *cluster.admin, source="127.0.4.30")["access_token"]
        slug = f"mentioned-{int(time.time())}"
        created = call(one.base, "POST", "/api/v1/admin/posts", token=token, source="127.0.4.30",
                       body={"content": "a post to reply to", "slug": slug})
        target = f"{balancer}posts/{slug}"
        reply = source.page("/reply", f'<article class="h-entry"><a class="u-in-reply-to" href="{target}">re</a>'
                                      f'<span class="p-author h-card">Carol</span><p class="e-content">{REPLY}</p></article>')
        for host in cluster.hosts:  # each host's reader cache holds the page without the reply
            call(host.base, "GET", f"/posts/{slug}", source="127.0.4.31")
        received = call(one.base, "POST", "/webmention", source="127.0.4.32",
                        form={"source": reply, "target": target})
        started = time.monotonic()
        status = {}
        while time.monotonic() - started < 20 and received.status == 202:
            status = call(one.base, "GET", received.headers["location"], source="127.0.4.32").json()
            if status["status"] != "queued":
                break
            time.sleep(0.1)
        verified_in = time.monotonic() - started
        shown = [REPLY in call(host.base, "GET", f"/posts/{slug}", source="127.0.4.31").body.decode()
                 for host in cluster.hosts]
        ok = (created.status == 201 and received.status == 202 and status.get("status") == "accepted"
              and shown == [True, True] and fetches(source) == 1)
        report.check("a Webmention received through host 1 (no worker) is verified by host 2's worker", ok,
                     f"202 from host 1; {status.get('status')} after {verified_in:.1f} s, the source fetched "
                     f"{fetches(source)} time(s); the reply on the post's page of host 1, host 2: {shown}")
    finally:
        source.stop()


def fetches(source):
    """How many times the reply page was fetched."""
    return source.requests.count(("GET", "/reply"))
