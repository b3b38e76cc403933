"""What the ActivityPub tests share: the site's settings, and a remote server's first steps."""
import time

BASE = "http://localhost/"
AP = {"Accept": "application/activity+json"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


SETTINGS = {"PUBLIC_BASE_URL": BASE, "OUTBOUND_ALLOW_LOOPBACK": True, "DELIVERY_RETRY_BASE": 0.2,
            "DELIVERY_RETRY_CAP": 0.5, "DELIVERY_POLL_INTERVAL": 0.05}


def wait_for(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not in time")


def our_key(client):
    return client.get("/actor", headers=AP).get_json()["publicKey"]["publicKeyPem"]


def follow(client, remote, follow_id=None):
    actor = discover(client)
    body, headers = remote.signed("/actor/inbox", remote.follow(actor, follow_id))
    return client.post("/actor/inbox", data=body, headers=headers)


def discover(client):
    """The actor's id as a server finds it: WebFinger, then the self link."""
    jrd = client.get("/.well-known/webfinger?resource=acct:admin@localhost").get_json()
    link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert link["type"] == "application/activity+json"
    return link["href"]


