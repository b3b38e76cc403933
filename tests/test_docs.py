"""OpenAPI document, Swagger UI served from local assets, and the health check."""
import re

from microblog.data.db import database

UNDOCUMENTED = {"/static/<path:filename>", "/openapi.json", "/docs", "/docs/assets/<path:filename>",
                "/favicon.ico", "/favicon.svg",
                "/", "/posts/<slug>", "/tags", "/tags/<tag>", "/search", "/assets/<name>", "/sitemap.xml",
                "/sitemap-<int:number>.xml", "/robots.txt", "/media/<name>",
                # IndieAuth's endpoints speak OAuth's forms and errors: docs/indieauth.md describes them
                "/.well-known/oauth-authorization-server", "/indieauth/auth", "/indieauth/token",
                "/indieauth/introspect", "/indieauth/revoke",
                # Micropub's, the protocol's own forms and errors: docs/micropub.md describes them
                "/micropub", "/micropub/media",
                # ActivityPub's answers are ActivityStreams, WebFinger's JRD: docs/fediverse.md describes them
                "/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/2.1", "/actor", "/actor/outbox",
                "/actor/followers", "/actor/following", "/ap/posts/<int:post_id>/<int:generation>", "/inbox",
                "/actor/inbox",
                # Webmention's endpoint takes the Recommendation's form: docs/webmention.md describes it
                "/webmention", "/webmention/<uid>"}
WRITER_PAGES = "/write"  # the writer's pages, not the API: docs/write.md describes them


def test_openapi_lists_every_route_of_the_url_map_with_absolute_paths(app, client):
    spec = client.get("/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method != "parameters"}
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule not in UNDOCUMENTED and not rule.rule.startswith(WRITER_PAGES)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routed


def test_openapi_documents_strict_bodies_and_bearer_auth(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["components"]["schemas"]["PostInput"]["additionalProperties"] is False
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/admin/posts"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/api/v1/posts"]["get"]


def test_swagger_ui_is_served_without_outside_network(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "/openapi.json" in html
    assert "http://" not in html and "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000


def test_healthz_queries_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "oldest_pending_delivery_age": 0}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from peewee import OperationalError

    def fail(*_args, **_kwargs):
        raise OperationalError("unable to open database file")

    monkeypatch.setattr(database.obj, "execute_sql", fail)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "unable" not in response.get_data(as_text=True)
