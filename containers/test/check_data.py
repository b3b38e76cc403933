"""make container-test's data check against the stack on 127.0.0.1: `write` logs in as the
admin, publishes a post and records its id in STATE; `read` checks that the post is still there,
publicly and in the admin's list, and that the admin still logs in with the same password."""
import json
import sys
import urllib.request

BASE, ACTION, STATE, USERNAME, PASSWORD = sys.argv[1:6]
TITLE = "Still here after a restart"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def login():
    status, body = call("POST", "/api/v1/auth/login", {"username": USERNAME, "password": PASSWORD})
    assert status == 200, status
    return body["access_token"]


token = login()
if ACTION == "write":
    status, post = call("POST", "/api/v1/admin/posts",
                        {"title": TITLE, "content": "Written before the restart.", "tags": ["containers"]}, token)
    assert status == 201, status
    with open(STATE, "w") as state:
        state.write(str(post["id"]))
    print(f"wrote post {post['id']}")
else:
    with open(STATE) as state:
        post_id = int(state.read())
    status, post = call("GET", f"/api/v1/posts/{post_id}")
    assert status == 200 and post["title"] == TITLE and post["tags"] == ["containers"], (status, post)
    status, listing = call("GET", "/api/v1/posts?tag=containers")
    assert [item["id"] for item in listing["items"]] == [post_id], listing
    print(f"post {post_id} is still there, and the admin still logs in")
