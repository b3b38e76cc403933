"""What each blueprint is, declared once beside it: API (data, errors as problem+json), site
(pages, errors as an HTML page for browsers) or asset (files, errors as the site's), and how
its answers are cached: publicly (shared caches and the reader cache), privately (never
stored, varying by Authorization) or by the blueprint's own rules. Errors, caching and no-store
follow the declaration, so a new blueprint gets them right by declaring itself."""
from dataclasses import dataclass

from flask import request

from . import reader_cache
from .caching import public_caching

API, SITE, ASSET = "api", "site", "asset"
PUBLIC, PRIVATE, OWN = "public", "private", "own"


@dataclass(frozen=True)
class Declaration:
    kind: str  # API, SITE or ASSET
    caching: str  # PUBLIC, PRIVATE or OWN
    paths: tuple = ()  # prefixes of paths no route matches that answer as this blueprint's do

    @property
    def cached_publicly(self):
        return self.caching == PUBLIC


UNCLAIMED = Declaration(SITE, OWN)  # a path no route matches and no blueprint claims: the site's
_declared = {}  # blueprint name → Declaration


def declare(blueprint, kind, caching, paths=None):
    """Record what the blueprint is, and install its caching: public caching and the reader
    cache on every answer of a PUBLIC one (after the blueprint's own hooks, so that the cache
    keeps the view's answer). `paths` defaults to everything under the blueprint's url_prefix."""
    if paths is None:
        paths = (blueprint.url_prefix + "/",) if blueprint.url_prefix else ()
    blueprint.declaration = _declared[blueprint.name] = Declaration(kind, caching, tuple(paths))
    if caching == PUBLIC:
        blueprint.after_request(public_caching)
        reader_cache.install(blueprint)
    return blueprint


def current():
    """The declaration of the blueprint answering this request; for a path no route matched
    (a 404 or 405), that of the blueprint claiming the longest prefix of it."""
    if request.blueprint is not None:
        return _declared[request.blueprint]
    claims = [(len(prefix), declaration) for declaration in _declared.values()
              for prefix in declaration.paths if request.path.startswith(prefix)]
    return max(claims, key=lambda claim: claim[0])[1] if claims else UNCLAIMED


def private_no_store(response):
    """Every answer of a PRIVATE blueprint, errors included: never cached; they differ by Authorization."""
    if current().caching == PRIVATE:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
    return response


def check_declared(app):
    """Every blueprint of the app has declared what it is (else its errors and caching would be guesses)."""
    undeclared = sorted(set(app.blueprints) - set(_declared))
    if undeclared:
        raise RuntimeError(f"Blueprints without a declaration (web/routes.py): {', '.join(undeclared)}")
