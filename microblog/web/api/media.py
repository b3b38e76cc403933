"""Admin API for images: upload (multipart), list and delete; Bearer access token required."""
from dataclasses import asdict, replace

from flask import current_app, request
from webargs.flaskparser import abort as abort_with_messages

from ...service import media
from .. import routes, schemas, urls
from ..pagination import page_response
from . import Blueprint, http_doc, require_access_token

blp = Blueprint("admin_media", __name__, url_prefix="/api/v1/admin", description="Upload images.")
routes.declare(blp, routes.API, routes.PRIVATE)
MULTIPART_ALLOWANCE = 64 * 1024  # room for the multipart framing around the file


@blp.before_request
def allow_an_image_body():
    """The upload's body may hold an image of MAX_MEDIA_BYTES (the app's limit is for JSON)."""
    require_access_token()
    if request.method == "POST":
        request.max_content_length = current_app.config["MAX_MEDIA_BYTES"] + MULTIPART_ALLOWANCE


def described(item):
    """An image as the admin API shows it: what is stored, and its absolute URL."""
    return {**asdict(item), "url": urls.media(item.filename)}


@blp.route("/media", methods=["POST"], operation_id="uploadMedia")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.MediaUpload, location="files")
@blp.response(201, schemas.MediaItem, headers={"Location": {
    "description": "The image's absolute URL (as `url`).", "schema": {"type": "string"}, "required": True}})
@blp.problem(413, "Larger than MAX_MEDIA_BYTES, or more pixels than MEDIA_MAX_PIXELS (a decompression bomb).")
@blp.problem(415, "Not a JPEG, PNG, GIF or WebP image that can be read.")
def upload(_args, files):
    """Store an image (multipart/form-data, part `file`); its location and camera metadata
    (EXIF, XMP) are removed unless MEDIA_KEEP_METADATA is set. 201 with its URL in Location."""
    unknown = (set(request.form) | set(request.files)) - {"file"}
    if unknown:  # as strict as the JSON bodies: a part the endpoint does not take is refused
        abort_with_messages(422, messages={"files": {name: ["Unknown field."] for name in sorted(unknown)}})
    settings = media.MediaSettings.from_config(current_app.config)
    item = media.store(files["file"].stream.read(settings.max_bytes + 1), settings)
    body = described(item)
    return body, 201, {"Location": body["url"]}


@blp.route("/media", methods=["GET"], operation_id="listMedia")
@blp.bearer()
@blp.arguments(schemas.MediaListQuery, location="query")
@blp.response(200, schemas.MediaPage, headers={"Link": http_doc.LINK})
def list_media(args):
    """Every image, newest first, without its bytes."""
    page = media.list_media(args["limit"], args.get("after"))
    return page_response(replace(page, items=[described(item) for item in page.items]))


@blp.route("/media/<key>", methods=["DELETE"], operation_id="deleteMedia")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(404)
def delete_media(_args, key):
    """Remove an image for good; its URL answers 404 from then on (posts showing it keep the URL)."""
    media.delete(key)
