"""WebSub's publisher ping: tell the hub that a feed changed (hub.mode=publish, hub.url=feed)."""

KIND = "websub"


def send(delivery, client):
    """POST the ping for the delivery's feed (its subject) to its hub (its url)."""
    return client.post_form(delivery.url, {"hub.mode": "publish", "hub.url": delivery.subject})
