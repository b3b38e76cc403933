"""What the cluster must show about state shared between hosts: the Postman collection,
tokens, login throttling, scheduled posts, token expiry, Micropub's tokens and photos, uploaded
images, request limits and Redis."""
import concurrent.futures
import json
import os
import time
import uuid
from datetime import datetime, timedelta, timezone

from client import call, login
from parts import ROOT

POSTS = "/api/v1/posts"
ME = "/api/v1/auth/me"


def contract(cluster, report):
    """postman_collection.json, unchanged, through the balancer."""
    summary = os.path.join(cluster.teardown.folder, "newman.json")
    host, port = cluster.balancer.base
    newman = cluster.teardown.spawn(  # in a session of its own: teardown kills npx, sh and node alike
        ["npx", "--no-install", "newman", "run", "postman_collection.json", "--env-var",
         f"baseUrl=http://{host}:{port}", "--env-var", f"adminUsername={cluster.admin[0]}",
         "--env-var", f"adminPassword={cluster.admin[1]}", "--env-var", "changePassword=true", "--reporters", "cli,json",
         "--reporter-json-export", summary], "newman.log", cwd=ROOT)
    returncode = newman.wait(timeout=240)
    stats = {}
    if os.path.exists(summary):
        with open(summary) as handle:
            stats = json.load(handle)["run"]["stats"]
    requests, assertions = stats.get("requests", {}), stats.get("assertions", {})
    report.check("Postman collection through the balancer", returncode == 0,
                 f"{requests.get('total', '?')} requests, {assertions.get('total', '?')} assertions, "
                 f"{assertions.get('failed', '?')} failed")


def statuses(answers):
    return [answer.status for answer in answers]


def tokens(cluster, report):
    """Log in through host 1, log out through host 2; change the password through one host."""
    one, two = (host.base for host in cluster.hosts)
    user, password = cluster.admin
    source = "127.0.4.1"
    session = login(one, user, password, source)
    before = [call(base, "GET", ME, token=session["access_token"]).status for base in (one, two)]
    logout = call(two, "POST", "/api/v1/auth/logout", token=session["access_token"]).status
    after = [call(base, "GET", ME, token=session["access_token"]).status for base in (one, two)]
    refresh = [call(base, "POST", "/api/v1/auth/refresh", token=session["refresh_token"]).status
               for base in (one, two)]
    report.check("logged in through host 1, out through host 2", before == [200, 200] and logout == 204
                 and after == [401, 401] and refresh == [401, 401],
                 f"before: {before}; logout {logout}; after: access {after}, refresh {refresh} (host 1, 2)")

    first, second = login(one, user, password, source), login(two, user, password, source)
    new_password = f"{password}-changed"
    changed = call(two, "PUT", "/api/v1/auth/password", token=first["access_token"], source=source,
                   body={"current_password": password, "new_password": new_password}).status
    old = [call(base, "GET", ME, token=t).status
           for t in (first["access_token"], second["access_token"]) for base in (one, two)]
    fresh = login(cluster.balancer.base, user, new_password, source)
    back = call(one, "PUT", "/api/v1/auth/password", token=fresh["access_token"], source=source,
                body={"current_password": new_password, "new_password": password}).status
    report.check("password changed through host 2: older tokens", changed == 204 and old == [401] * 4
                 and back == 204, f"change {changed}; 2 older tokens on hosts 1 and 2: {old}")


PIXEL_GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def media(cluster, report):
    """An image uploaded through host 1 is served by host 2; deleted through host 2, by neither."""
    one, two = (host.base for host in cluster.hosts)
    source = "127.0.4.30"
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="pixel.gif"\r\n\r\n'.encode()
            + PIXEL_GIF + f"\r\n--{boundary}--\r\n".encode())
    uploaded = call(one, "POST", "/api/v1/admin/media", token=login(one, *cluster.admin, source)["access_token"],
                    source=source, body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    if uploaded.status != 201:
        report.check("an image uploaded through host 1, served by host 2", False, f"upload {uploaded.status}")
        return
    image = uploaded.json()
    path = "/" + image["url"].split("/", 3)[3]
    served = [call(base, "GET", path, source=source) for base in (one, two)]
    deleted = call(two, "DELETE", f"/api/v1/admin/media/{image['key']}", source=source,
                   token=login(two, *cluster.admin, source)["access_token"]).status
    after = [call(base, "GET", path, source=source).status for base in (one, two)]
    ok = (statuses(served) == [200, 200] and all(answer.body == PIXEL_GIF for answer in served)
          and served[1].headers.get("content-type") == "image/gif" and deleted == 204 and after == [404, 404])
    report.check("an image uploaded through host 1, served by host 2", ok,
                 f"served by hosts 1, 2: {statuses(served)}; deleted through host 2: {deleted}; then {after}")


def login_throttling(cluster, report):
    """Wrong logins from one client spread over both hosts share one count, per real client."""
    balancer, (user, password) = cluster.balancer.base, cluster.admin
    spread_before = cluster.balancer.sessions()
    wrong = [call(balancer, "POST", "/api/v1/auth/login", source="127.0.4.10",
                  body={"username": user, "password": "wrong password"}) for _ in range(6)]
    spread = {name: count - spread_before[name] for name, count in cluster.balancer.sessions().items()}
    locked = call(balancer, "POST", "/api/v1/auth/login", source="127.0.4.10",
                  body={"username": user, "password": password},
                  headers={"X-Forwarded-For": "203.0.113.7"})  # a forged address changes nothing
    other = call(balancer, "POST", "/api/v1/auth/login", source="127.0.4.11",
                 body={"username": user, "password": password})
    ok = (statuses(wrong) == [401] * 6 and min(spread.values()) >= 2 and locked.status == 429
          and "retry-after" in locked.headers and other.status == 200)
    report.check("login throttling across hosts", ok,
                 f"6 wrong passwords from one client ({spread['app1']} to host 1, {spread['app2']} to "
                 f"host 2): {set(statuses(wrong))}; its 7th try, right password: {locked.status} "
                 f"(Retry-After {locked.headers.get('retry-after')}); another client: {other.status}")


def scheduled_post(cluster, report):
    """Poll both hosts directly while a scheduled post's moment passes."""
    token = login(cluster.balancer.base, *cluster.admin, source="127.0.4.20")["access_token"]
    publish_at = datetime.now(timezone.utc) + timedelta(seconds=2)
    created = call(cluster.balancer.base, "POST", "/api/v1/admin/posts", token=token, source="127.0.4.20",
                   body={"content": "scheduled on a cluster",
                         "publish_at": publish_at.isoformat().replace("+00:00", "Z")})
    path = f"{POSTS}/{created.json()['id']}"
    first_public, early = {}, []
    deadline = time.time() + 6
    while len(first_public) < 2 and time.time() < deadline:
        for host in cluster.hosts:
            if host.name in first_public:
                continue
            status = call(host.base, "GET", path, source="127.0.4.21").status
            answered = time.time()  # the host decided at or before this
            if status == 200:
                first_public[host.name] = answered
                if answered < publish_at.timestamp():
                    early.append(host.name)
        time.sleep(0.02)
    moment = publish_at.timestamp()
    late = {name: round(at - moment, 3) for name, at in first_public.items()}
    ok = len(late) == 2 and not early and max(late.values()) < 0.25
    report.check("a scheduled post turns public on both hosts", ok,
                 f"first 200 received {late.get('app1')} s and {late.get('app2')} s after its publish_at "
                 f"(hosts polled in turn, directly); none before")


# The smallest GIF: one transparent pixel (what the media endpoint takes, read from its bytes).
PIXEL_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
             b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def micropub(cluster, report):
    """A Micropub app token minted through host 1 works on host 2 until it is revoked through
    host 1, then at once no more; a photo uploaded through host 1 is served by host 2."""
    one, two = (host.base for host in cluster.hosts)
    source = "127.0.4.30"
    admin = login(one, *cluster.admin, source=source)["access_token"]
    minted = call(one, "POST", "/api/v1/admin/tokens", token=admin, source=source,
                  body={"client_id": "https://cluster.example/", "scope": "create delete"}).json()
    token = minted["access_token"]
    boundary = uuid.uuid4().hex
    upload = call(one, "POST", "/micropub/media", token=token, source=source,
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                  data=(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.gif"\r\n'
                        "Content-Type: image/gif\r\n\r\n").encode() + PIXEL_GIF + f"\r\n--{boundary}--\r\n".encode())
    photo = upload.headers.get("location", "")
    photo_path = "/" + photo.split("/", 3)[-1] if photo else "/"
    served = call(two, "GET", photo_path, source=source)
    report.check("a photo uploaded through host 1 is served by host 2", upload.status == 201
                 and served.status == 200 and served.headers.get("content-type") == "image/gif"
                 and served.body == PIXEL_GIF, f"upload {upload.status}; host 2: {served.status} "
                 f"{served.headers.get('content-type')}")

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    created = call(two, "POST", "/micropub", token=token, source=source, headers=form,
                   data=f"h=entry&content=cluster+micropub&photo={photo}".encode())
    revoked = call(one, "DELETE", f"/api/v1/admin/tokens/{minted['id']}", token=admin, source=source).status
    after = [call(base, "POST", "/micropub", token=token, source=source, headers=form,
                  data=b"h=entry&content=refused").status for base in (two, one)]
    report.check("a Micropub token revoked through host 1 is refused by host 2 at once",
                 created.status == 201 and revoked == 204 and after == [401, 401],
                 f"create on host 2 {created.status}; revoke on host 1 {revoked}; then hosts 2, 1: {after}")
    slug = created.headers.get("location", "").rsplit("/", 1)[-1]
    post = call(one, "GET", f"{POSTS}/by-slug/{slug}", source=source)
    if post.status == 200:
        for suffix in ("", "?purge=true"):
            call(one, "DELETE", f"/api/v1/admin/posts/{post.json()['id']}{suffix}", token=admin, source=source)
    if photo:
        call(one, "DELETE", f"/api/v1/admin/media/{photo.rsplit('/', 1)[-1].split('.')[0]}", token=admin, source=source)


def token_expiry(cluster, report):
    """A token the app's own code issues with a 3 s lifetime: judged alike by both hosts."""
    from microblog import create_app
    from microblog.data.models import User
    from microblog.service import auth as auth_service
    from microblog.web.tokens import issue_tokens

    app = create_app({**cluster.app_config, "JWT_ACCESS_TOKEN_EXPIRES": 3})
    with app.app_context():
        token, _ = issue_tokens(User.get(User.username == cluster.admin[0]), auth_service.new_session_id())
    app.extensions["database"].close_all()
    expires = json.loads(_base64url(token.split(".")[1]))["exp"]
    refused = {}
    while len(refused) < 2 and time.time() < expires + 3:
        for host in cluster.hosts:
            if host.name not in refused and call(host.base, "GET", ME, token=token).status == 401:
                refused[host.name] = round(time.time() - expires, 3)
        time.sleep(0.02)
    ok = len(refused) == 2 and all(0 <= at < 0.3 for at in refused.values())
    report.check("token expiry on both hosts", ok,
                 f"refused {refused.get('app1')} s and {refused.get('app2')} s after its exp")


def _base64url(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def burst(base, count, source, threads=8, path=POSTS, forge=True):
    """`count` reads from one client address, several at a time (each with a forged
    X-Forwarded-For, which the balancer must replace)."""
    def one(i):
        headers = {"X-Forwarded-For": f"198.51.100.{i % 250}"} if forge else {}
        return call(base, "GET", f"{path}?limit=1", source=source, headers=headers)
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def global_limit(cluster, report, limit):
    before = cluster.balancer.sessions()
    answers = burst(cluster.balancer.base, 200, "127.0.5.1")
    spread = {name: count - before[name] for name, count in cluster.balancer.sessions().items()}
    served = statuses(answers).count(200)
    refused = [a for a in answers if a.status == 429]
    proper = all(a.is_problem() and int(a.headers.get("retry-after", 0)) >= 1 for a in refused)
    ok = abs(served - limit) <= 2 and served + len(refused) == 200 and proper
    report.check(f"request limits are global ({limit} reads a minute)", ok,
                 f"200 reads from one client ({spread['app1']} to host 1, {spread['app2']} to host 2): "
                 f"{served} × 200, {len(refused)} × 429 problems with Retry-After"
                 + ("" if served + len(refused) == 200 else f", others: {set(statuses(answers)) - {200, 429}}"))


def redis_stopped(cluster, report, limit):
    """Redis down: served, limited per worker, healthy; back: global limits again."""
    cluster.redis.stop()
    answers = burst(cluster.balancer.base, 200, "127.0.5.2")
    codes = statuses(answers)
    health = [call(host.base, "GET", "/healthz").json() for host in cluster.hosts]
    states = cluster.balancer.states()
    warned = sum("is not answering" in host.log() for host in cluster.hosts)
    cluster.redis.start()
    time.sleep(1.2)  # each worker tries Redis again a second after it failed
    again = statuses(burst(cluster.balancer.base, 200, "127.0.5.3")).count(200)
    health_again = [call(host.base, "GET", "/healthz").json().get("redis") for host in cluster.hosts]
    ok = (set(codes) <= {200, 429} and codes.count(200) >= limit
          and all({name: h.get(name) for name in ("status", "database", "redis")}
                  == {"status": "ok", "database": "ok", "redis": "unavailable"} for h in health)
          and set(states.values()) == {"UP"} and warned == 2 and abs(again - limit) <= 2
          and health_again == ["ok", "ok"])
    report.check("Redis stopped, then started", ok,
                 f"200 reads from one client: {codes.count(200)} × 200, {codes.count(429)} × 429 "
                 f"(each worker counts alone), {sum(c >= 500 or c == 0 for c in codes)} errors; "
                 f"/healthz 200 with \"redis\": \"{health[0].get('redis')}\", both hosts kept in; "
                 f"a warning in each host's log; Redis back: {again} of 200 served, /healthz \"redis\": "
                 f"{health_again}")


def new_key():
    return uuid.uuid4().hex
