"""The absolute URLs that IndieAuth and Micropub clients are given: `me`, the endpoints, the
metadata document. Built on the site's public root (PUBLIC_BASE_URL, else the request's)."""
from . import urls

MICROPUB_PATH = "/micropub"


absolute = urls.absolute


def me():
    """The admin's profile URL: the site's public root, with its trailing slash."""
    return urls.root()


def issuer():
    """The authorization server's issuer identifier: `me`, a prefix of the metadata URL."""
    return me()


def metadata():
    return absolute("indieauth.metadata")


def authorization_endpoint():
    return absolute("indieauth.authorize")


def token_endpoint():
    return absolute("indieauth.token")


def introspection_endpoint():
    return absolute("indieauth.introspect")


def revocation_endpoint():
    return absolute("indieauth.revoke")


def micropub_endpoint():
    return urls.absolute("micropub.query")
