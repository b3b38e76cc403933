"""What the export and import tests share: a site with every kind of post, and the calls."""
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

NDJSON = "application/x-ndjson"


def populate(client, headers):
    """Every kind of post (edited, tagged, hidden, scheduled, deleted) and a revoked login."""
    def create(**fields):
        response = client.post("/api/v1/admin/posts", json=fields, headers=headers)
        assert response.status_code == 201
        return response.get_json()

    edited = create(content="First *post*", title="First", tags=["a", "b"])
    client.patch(f"/api/v1/admin/posts/{edited['id']}", json={"content": "Edited"}, headers=headers)
    create(content="Hidden", visible=False, tags=["b"])
    create(content="Later", publish_at="2099-01-02T03:04:05.678901Z")
    gone = create(content="Gone", slug="gone")
    client.delete(f"/api/v1/admin/posts/{gone['id']}", headers=headers)
    other_login = client.post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).get_json()["access_token"]
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {other_login}"})


def populated_site(client, auth):
    """The site after populate(), as the admin API shows every post."""
    populate(client, auth.headers)
    return admin_view(client, auth)


def admin_view(client, auth):
    """Every post as the admin API shows it, deleted included."""
    response = client.get("/api/v1/admin/posts?deleted=include&limit=100", headers=auth.headers)
    return response.get_json()["items"]


def export(client, auth):
    response = client.get("/api/v1/admin/export", headers=auth.headers)
    assert response.status_code == 200 and response.mimetype == NDJSON
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="microblog-export-')
    return response.get_data()


def import_(client, auth, body):
    return client.post("/api/v1/admin/import", data=body, content_type=NDJSON, headers=auth.headers)
