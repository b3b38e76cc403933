"""ActivityPub's deliveries: the activity planned (the delivery's body) POSTed to an inbox,
signed as the actor (HTTP Signatures, the cavage draft, with a Digest of the body)."""
KINDS = ("ap-create", "ap-update", "ap-delete", "ap-accept", "ap-reject", "ap-undo")
CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def send(delivery, client):
    return client.post_signed(delivery.url, delivery.body.encode(), CONTENT_TYPE)
