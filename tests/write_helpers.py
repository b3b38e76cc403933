"""A writer at the /write pages through the Flask test client: signs in by the form, sends the
forms with the token each page carries."""
import re

from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

HTML = {"Accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([^"]+)"')


def token_in(page):
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def version_in(page):
    return VERSION.search(page.get_data(as_text=True)).group(1)


class Writer:
    def __init__(self, client):
        self.client = client

    def sign_in(self, password=ADMIN_PASSWORD, next_page=None):
        form = self.client.get("/write/sign-in", headers=HTML)
        data = {"csrf_token": token_in(form), "username": ADMIN_USERNAME, "password": password}
        if next_page:
            data["next"] = next_page
        return self.client.post("/write/sign-in", data=data, headers=HTML)

    def token(self):
        return token_in(self.client.get("/write", headers=HTML))

    def post_form(self, path, **fields):
        """POST a form of the writer's pages, with the session's token unless one is given."""
        fields.setdefault("csrf_token", self.token())
        return self.client.post(path, data=fields, headers=HTML)

    def publish(self, content="Hello from the editor", **fields):
        return self.post_form("/write", content=content, action="save", **fields)

    def edit_page(self, post_id):
        return self.client.get(f"/write/posts/{post_id}", headers=HTML)
