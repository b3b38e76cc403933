"""The editor's form, read into what the admin API would be sent, and checked by the API's own
input schema: the same rules, the same messages."""
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import zip_longest

from marshmallow import ValidationError

from ...service.fields import utc_text
from .. import schemas

_TAG_SEPARATORS = re.compile(r"[\s,]+")
TIME_EXAMPLE = "2026-12-24 18:00"


@dataclass
class PostForm:
    """What the writer typed (shown again as typed) and, once checked, the post's fields."""

    title: str = ""
    content: str = ""
    tags: str = ""
    slug: str = ""
    visible: bool = True
    publish_at: str = ""
    photos: list = field(default_factory=list)  # [{url, alt}], as the post's photos field
    problems: dict = field(default_factory=dict)  # field name → message

    @classmethod
    def of_post(cls, post):
        """The form filled with a stored post."""
        return cls(title=post.title or "", content=post.content, tags=", ".join(post.tags), slug=post.slug,
                   visible=post.visible, publish_at=shown_time(post.publish_at),
                   photos=[dict(photo) for photo in post.photos])

    @classmethod
    def from_request(cls, form):
        """The form as sent: the photos it already holds (less those to remove), in order."""
        removed = set(form.getlist("photo_remove"))
        photos = [{"url": url, "alt": alt} for url, alt in
                  zip_longest(form.getlist("photo_url"), form.getlist("photo_alt"), fillvalue="") if url not in removed]
        return cls(title=form.get("title", ""), content=form.get("content", ""), tags=form.get("tags", ""),
                   slug=form.get("slug", ""), visible=form.get("visibility", "visible") != "draft",
                   publish_at=form.get("publish_at", ""), photos=photos)

    def undescribed(self):
        """The numbers (from 1) of the photos without alt text: a prompt, never a refusal."""
        return [number for number, photo in enumerate(self.photos, 1) if not photo["alt"].strip()]

    def fields(self):
        """The post's fields as the API's schema loads them, or None (and `problems`) when refused."""
        sent = {"content": self.content, "title": self.title,
                "tags": [name for name in _TAG_SEPARATORS.split(self.tags) if name],
                "visible": self.visible, "publish_at": None, "photos": self.photos}
        if self.slug.strip():
            sent["slug"] = self.slug.strip()
        if self.publish_at.strip():
            sent["publish_at"] = _rfc3339(self.publish_at.strip())
            if sent["publish_at"] is None:
                self.problems["publish_at"] = f"Write the time as {TIME_EXAMPLE} (UTC), or leave it empty for now."
        try:
            loaded = schemas.PostInput().load(sent)
        except ValidationError as error:
            self.problems.update({name: _message(messages) for name, messages in error.messages.items()})
            return None
        return None if self.problems else loaded


def shown_time(moment):
    """A stored time as the form shows it: to the minute when that is exact, else in full."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M") if not moment.second and not moment.microsecond else utc_text(moment)


def _rfc3339(text):
    """A time typed as 2026-12-24 18:00 or in RFC 3339, as RFC 3339 (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _message(messages):
    """One sentence of a field's messages (a list's are keyed by position)."""
    if isinstance(messages, dict):
        return " ".join(_message(value) for value in messages.values())
    return " ".join(messages) if isinstance(messages, list) else str(messages)
