"""Routes say what they are: a blueprint that declares itself API or site, public or private,
gets the errors and caching of its kind without any list of paths naming it."""
import pytest
from flask import Blueprint, abort

from microblog.web import routes
from tests.helpers import assert_problem

HTML = {"Accept": "text/html"}

private_api = Blueprint("test_private_api", __name__, url_prefix="/test-private")
routes.declare(private_api, routes.API, routes.PRIVATE)
public_site = Blueprint("test_public_site", __name__, url_prefix="/test-site")
routes.declare(public_site, routes.SITE, routes.PUBLIC)


@private_api.route("/thing")
def private_thing():
    return {"secret": True}


@private_api.route("/missing")
def private_missing():
    abort(404)


@public_site.route("/page")
def site_page():
    return "<!doctype html><title>page</title>"


@public_site.route("/missing")
def site_missing():
    abort(404)


@pytest.fixture
def declared(app):
    app.register_blueprint(private_api)
    app.register_blueprint(public_site)
    return app.test_client()


def test_a_private_api_blueprint_is_never_stored_and_answers_problems(declared):
    answer = declared.get("/test-private/thing")
    assert answer.headers["Cache-Control"] == "no-store" and "Authorization" in answer.headers["Vary"]
    for path in ("/test-private/missing", "/test-private/no-such-route"):  # routed, and claimed by its prefix
        problem = declared.get(path, headers=HTML)
        assert_problem(problem, 404)
        assert problem.headers["Cache-Control"] == "no-store"


def test_a_public_site_blueprint_is_cached_and_answers_pages(declared):
    page = declared.get("/test-site/page")
    assert page.headers["Cache-Control"] == "public, max-age=60" and page.headers["ETag"]
    assert declared.get("/test-site/page", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    missing = declared.get("/test-site/missing", headers=HTML)
    assert missing.status_code == 404 and missing.mimetype == "text/html" and "Accept" in missing.headers["Vary"]


def test_unknown_paths_answer_as_the_blueprint_claiming_them_else_as_the_site(client):
    assert_problem(client.get("/api/v9/nothing", headers=HTML), 404)
    assert_problem(client.get("/feed.nothing", headers=HTML), 404)
    assert client.get("/api/v1/admin/nothing").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/nothing").headers["Cache-Control"] == "no-cache"  # no view said otherwise
    page = client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_an_undeclared_blueprint_is_refused(app):
    app.register_blueprint(Blueprint("test_undeclared", __name__))
    with pytest.raises(RuntimeError, match="test_undeclared"):
        routes.check_declared(app)
