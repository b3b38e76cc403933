"""The Postman collection against someone's running instance: it signs nobody out and leaves no
row behind (scripts/contract-test.sh runs it with the password change, on a throwaway server)."""
import subprocess

import requests

from microblog.data.db import open_database
from scripts import harness

# Rows a run leaves by design, each until it expires or for good: the change feed's entries (its
# tombstones tell mirrors what was purged), the collection's own logged-out token (refused until
# it would have expired), its Idempotency-Key (kept for IDEMPOTENCY_KEY_TTL), the check of the
# Webmention it sends (a delivery: its status URL reads it until DELIVERY_KEEP_DONE); and SQLite
# FTS5's internal segments, which are not rows of anything.
KEPT_BY_DESIGN = {"change", "revoked_token", "idempotency_key", "delivery"}


def row_counts(database_url):
    """Every table's row count, those no API shows included."""
    database = open_database(database_url)
    try:
        with database.connection_context():
            return {table: database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                    for table in database.get_tables()
                    if table not in KEPT_BY_DESIGN and not table.startswith("post_search_")}
    finally:
        database.close_all()


def test_the_collection_keeps_every_token_and_leaves_no_row(live_server, database_url):
    server = live_server("granian", workers=1)
    login = requests.post(f"{server.url}/api/v1/auth/login", timeout=10,
                          json={"username": harness.ADMIN[0], "password": harness.ADMIN[1]}).json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    requests.post(f"{server.url}/api/v1/admin/posts", json={"content": "Mine", "tags": ["mine"]},
                  headers=headers, timeout=10).raise_for_status()
    before = row_counts(database_url)
    result = subprocess.run(
        ["npx", "--no-install", "newman", "run", "postman_collection.json", "-e", "postman_environment.json",
         "--env-var", f"baseUrl={server.url}", "--env-var", f"adminUsername={harness.ADMIN[0]}",
         "--env-var", f"adminPassword={harness.ADMIN[1]}", "--reporters", "cli", "--reporter-cli-no-success-assertions"],
        cwd=harness.ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:]
    assert requests.get(f"{server.url}/api/v1/auth/me", headers=headers, timeout=10).status_code == 200
    refreshed = requests.post(f"{server.url}/api/v1/auth/refresh", timeout=10,
                              headers={"Authorization": f"Bearer {login['refresh_token']}"})
    assert refreshed.status_code == 200
    assert "tag" in before and row_counts(database_url) == before
