"""Media: image uploads checked from their content, cleaned of metadata, stored in the database
and served with their real type; refusals store nothing. Images are made with Pillow here."""
import base64
import io
import json
import random
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageSequence

from tests.conftest import AuthActions
from tests.helpers import admin_client, assert_problem
from tests.transfer_helpers import export, import_

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="48,51.5N"/></rdf:RDF></x:xmpmeta>'


def camera_exif(orientation=1):
    """EXIF as a phone writes it: where (GPS), with what (make, model), which way up."""
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Phone Maker", "Phone 12", orientation
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def picture(size=(64, 48), mode="RGB"):
    """An image with some structure, so that a changed pixel would show."""
    image = Image.new(mode, size, "white" if mode != "P" else 0)
    for x in range(size[0]):
        image.putpixel((x, (x * 7) % size[1]), (x * 4 % 256, 80, 200) if mode == "RGB" else x % 200)
    return image


def encode(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def jpeg_with_metadata(orientation=1):
    return encode(picture(), "JPEG", exif=camera_exif(orientation), xmp=XMP, comment=b"taken at home")


def png_with_metadata():
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_text("Location", "48.8583 N, 2.2945 E")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encode(picture(), "PNG", pnginfo=info, exif=camera_exif())


def webp_with_metadata(lossless=True):
    return encode(picture(), "WEBP", lossless=lossless, exif=camera_exif(), xmp=XMP)


def animated_gif():
    frames = [picture(mode="P"), Image.new("P", (64, 48), 3), picture(mode="P").rotate(180)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300],
                  loop=0, comment=b"GPS 48.85N")


def upload(client, auth, data, filename="photo.jpg", content_type="image/jpeg"):
    return client.post("/api/v1/admin/media", headers=auth.headers,
                       data={"file": (io.BytesIO(data), filename, content_type)},
                       content_type="multipart/form-data")


def served(client, url):
    response = client.get(url.removeprefix("http://localhost"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def listed(client, auth):
    return client.get("/api/v1/admin/media?limit=100", headers=auth.headers).get_json()["items"]


def same_pixels(first, second):
    for a, b in zip(ImageSequence.Iterator(Image.open(io.BytesIO(first))),
                    ImageSequence.Iterator(Image.open(io.BytesIO(second))), strict=True):
        assert ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None
    return True


@pytest.mark.parametrize("data, media_type, extension", [
    (jpeg_with_metadata(), "image/jpeg", "jpg"),
    (png_with_metadata(), "image/png", "png"),
    (animated_gif(), "image/gif", "gif"),
    (webp_with_metadata(), "image/webp", "webp"),
    (webp_with_metadata(lossless=False), "image/webp", "webp"),
])
def test_each_accepted_type_is_stored_and_served_as_itself(client, auth, data, media_type, extension):
    response = upload(client, auth, data, filename="whatever.bin", content_type="application/octet-stream")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == body["url"]
    assert body["url"].startswith("http://localhost/media/") and body["url"].endswith("." + extension)
    assert (body["type"], body["width"], body["height"]) == (media_type, 64, 48)
    image = served(client, body["url"])
    assert image.mimetype == media_type
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert image.headers["ETag"] and int(image.headers["Content-Length"]) == body["size"]
    assert same_pixels(data, image.get_data())
    again = client.get(image.request.path, headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    assert [item["url"] for item in listed(client, auth)] == [body["url"]]


def test_keys_are_unguessable_and_each_upload_gets_its_own(client, auth):
    urls = {upload(client, auth, jpeg_with_metadata()).get_json()["url"] for _ in range(3)}
    assert len(urls) == 3
    for url in urls:
        key = url.rsplit("/", 1)[1].split(".")[0]
        assert len(key) >= 32  # 192 random bits, URL-safe base64


def test_jpeg_loses_location_camera_and_xmp_but_keeps_its_orientation(client, auth):
    original = jpeg_with_metadata(orientation=6)
    body = upload(client, auth, original).get_json()
    assert (body["width"], body["height"]) == (48, 64)  # as shown: turned a quarter
    data = served(client, body["url"]).get_data()
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert dict(exif) == {ORIENTATION: 6}
    assert not exif.get_ifd(GPS_IFD)
    assert "xmp" not in image.info and "comment" not in image.info
    assert b"Phone" not in data and b"GPSLatitude" not in data and b"taken at home" not in data
    assert same_pixels(original, data)


def test_an_upright_jpeg_keeps_no_exif_at_all(client, auth):
    data = served(client, upload(client, auth, jpeg_with_metadata()).get_json()["url"]).get_data()
    assert not Image.open(io.BytesIO(data)).getexif()


@pytest.mark.parametrize("original", [png_with_metadata(), webp_with_metadata(), animated_gif()],
                         ids=["png", "webp", "gif"])
def test_png_webp_and_gif_lose_their_metadata_and_nothing_else(client, auth, original):
    data = served(client, upload(client, auth, original).get_json()["url"]).get_data()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif().get_ifd(GPS_IFD) and MAKE not in image.getexif()
    assert not {"xmp", "XML:com.adobe.xmp", "Location", "comment", "exif"} & set(image.info)
    assert b"48.8583" not in data and b"Phone" not in data and b"GPS 48" not in data
    assert same_pixels(original, data)


def test_an_animation_keeps_its_frames_timing_and_loop(client, auth):
    data = served(client, upload(client, auth, animated_gif()).get_json()["url"]).get_data()
    image = Image.open(io.BytesIO(data))
    durations = [frame.info["duration"] for frame in ImageSequence.Iterator(image)]
    assert durations == [100, 200, 300] and image.info["loop"] == 0


def test_metadata_is_kept_as_sent_when_the_setting_says_so(make_app):
    client, auth = admin_client(make_app(MEDIA_KEEP_METADATA=True))
    original = jpeg_with_metadata()
    data = served(client, upload(client, auth, original).get_json()["url"]).get_data()
    assert data == original
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)[1] == "N"


def test_a_text_file_named_png_is_refused_and_nothing_is_stored(client, auth):
    response = upload(client, auth, b"<script>alert(1)</script>\n", "photo.png", "image/png")
    assert "not a JPEG, PNG, GIF or WebP" in assert_problem(response, 415)["detail"]
    assert listed(client, auth) == []


@pytest.mark.parametrize("data", [
    encode(picture(), "BMP"),
    encode(picture(), "TIFF"),
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    jpeg_with_metadata()[:300],  # cut off: recognised, but not whole
    png_with_metadata()[:-40],
    b"",
], ids=["bmp", "tiff", "svg", "truncated-jpeg", "truncated-png", "empty"])
def test_other_and_damaged_files_are_refused(client, auth, data):
    assert_problem(upload(client, auth, data), 415)
    assert listed(client, auth) == []


def png_file(width, height, image_data):
    """A 1-bit greyscale PNG with this header and this (compressed) image data."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", image_data) + chunk(b"IEND", b"")


def png_bomb(width, height):
    """A real PNG of width × height pixels, all zero: a few hundred kilobytes that decode to
    width × height pixels."""
    row = b"\0" * (1 + (width + 7) // 8)  # the filter byte, then the row's bits
    compressor = zlib.compressobj(9)
    compressed = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return png_file(width, height, compressed)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, auth):
    bomb = png_bomb(20_000, 20_000)  # 400 million pixels
    assert len(bomb) < 1024 * 1024
    assert "MEDIA_MAX_PIXELS" in assert_problem(upload(client, auth, bomb, "bomb.png"), 413)["detail"]
    within_pillows_limit = png_bomb(10_000, 8_000)  # 80 million: under Pillow's own guard, over ours
    assert_problem(upload(client, auth, within_pillows_limit, "bomb.png"), 413)
    claim = png_file(100_000, 100_000, zlib.compress(b"\0" * 100))  # beyond Pillow's own limit too
    assert_problem(upload(client, auth, claim, "claim.png"), 413)
    assert listed(client, auth) == []


def test_an_animation_counts_every_frame_against_the_pixel_limit(make_app):
    client, auth = admin_client(make_app(MEDIA_MAX_PIXELS=64 * 48 * 2))
    assert "an animation counts every frame" in assert_problem(upload(client, auth, animated_gif()), 413)["detail"]
    assert upload(client, auth, jpeg_with_metadata()).status_code == 201


def test_a_file_over_max_media_bytes_is_refused(make_app):
    data = jpeg_with_metadata()
    client, auth = admin_client(make_app(MAX_MEDIA_BYTES=len(data) - 1))
    assert "MAX_MEDIA_BYTES" in assert_problem(upload(client, auth, data), 413)["detail"]
    far_over = data + b"\0" * (200 * 1024)  # the body itself is refused, unread
    assert_problem(upload(client, auth, far_over), 413)
    assert listed(client, auth) == []
    client, auth = admin_client(make_app(MAX_MEDIA_BYTES=len(data)))
    assert upload(client, auth, data).status_code == 201


def test_an_upload_over_the_api_body_limit_but_within_the_media_limit_is_taken(make_app):
    data = encode(Image.effect_noise((700, 700), 100).convert("RGB"), "PNG")
    client, auth = admin_client(make_app(MAX_CONTENT_LENGTH=100 * 1024))
    assert len(data) > 100 * 1024
    assert upload(client, auth, data).status_code == 201


def test_an_upload_needs_the_part_named_file_and_an_admin_token(client, auth):
    response = client.post("/api/v1/admin/media", headers=auth.headers,
                           data={"photo": (io.BytesIO(jpeg_with_metadata()), "a.jpg")},
                           content_type="multipart/form-data")
    assert assert_problem(response, 422)["errors"][0]["parameter"] == "file"
    extra = client.post("/api/v1/admin/media", headers=auth.headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(jpeg_with_metadata()), "a.jpg"), "caption": "hello"})
    assert assert_problem(extra, 422)["errors"] == [{"parameter": "caption", "detail": "Unknown field."}]
    anonymous = client.post("/api/v1/admin/media", data={"file": (io.BytesIO(jpeg_with_metadata()), "a.jpg")},
                            content_type="multipart/form-data")
    assert_problem(anonymous, 401)
    assert_problem(client.get("/api/v1/admin/media"), 401)
    assert listed(client, auth) == []


def test_unknown_keys_and_wrong_extensions_are_404(client, auth):
    url = upload(client, auth, jpeg_with_metadata()).get_json()["url"]
    path = url.removeprefix("http://localhost")
    for wrong in (path.replace(".jpg", ".png"), path.replace(".jpg", ""), "/media/" + "A" * 32 + ".jpg",
                  "/media/..%2F..%2Fetc.jpg", "/media/%00" + "A" * 31 + ".jpg"):
        response = client.get(wrong, headers={"Accept": "application/json"})
        assert_problem(response, 404)
        assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_list_pages_newest_first_and_delete_removes_for_good(client, auth):
    urls = [upload(client, auth, jpeg_with_metadata()).get_json()["url"] for _ in range(3)]
    first = client.get("/api/v1/admin/media?limit=2", headers=auth.headers)
    page = first.get_json()
    assert [item["url"] for item in page["items"]] == urls[:0:-1]
    assert set(page["items"][0]) == {"key", "url", "type", "width", "height", "size", "created"}
    assert first.headers["Cache-Control"] == "no-store"
    rest = client.get(f"/api/v1/admin/media?limit=2&cursor={page['next_cursor']}", headers=auth.headers).get_json()
    assert [item["url"] for item in rest["items"]] == urls[:1] and rest["next_cursor"] is None
    assert_problem(client.get("/api/v1/admin/media?cursor=bad", headers=auth.headers), 422)
    key = page["items"][0]["key"]
    assert client.delete(f"/api/v1/admin/media/{key}", headers=auth.headers).status_code == 204
    assert_problem(client.get(urls[2].removeprefix("http://localhost")), 404)
    assert_problem(client.delete(f"/api/v1/admin/media/{key}", headers=auth.headers), 404)
    assert_problem(client.delete("/api/v1/admin/media/%00", headers=auth.headers), 404)
    assert [item["url"] for item in listed(client, auth)] == [urls[1], urls[0]]


def test_urls_are_on_the_public_base_url(make_app):
    client, auth = admin_client(make_app(PUBLIC_BASE_URL="https://blog.example/"))
    response = upload(client, auth, jpeg_with_metadata())
    assert response.headers["Location"].startswith("https://blog.example/media/")


def test_export_and_import_carry_the_images_byte_for_byte(make_app, tmp_path):
    source_client, source_auth = admin_client(make_app(DATABASE_URL=f"sqlite:///{tmp_path}/source.sqlite3"))
    originals = [jpeg_with_metadata(orientation=6), animated_gif(), webp_with_metadata()]
    uploaded = [upload(source_client, source_auth, data).get_json() for data in originals]
    served_before = [served(source_client, item["url"]).get_data() for item in uploaded]
    dump = export(source_client, source_auth)
    records = [json.loads(line) for line in dump.splitlines()[1:]]
    media_records = [record for record in records if record["type"] == "media"]
    assert [record["key"] for record in media_records] == [item["key"] for item in uploaded]
    assert set(media_records[0]) == {"type", "key", "media_type", "created", "data"}

    client, auth = admin_client(make_app())  # the test database: PostgreSQL with TEST_DATABASE_URL
    response = import_(client, auth, dump)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["media"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert [served(client, item["url"]).get_data() for item in uploaded] == served_before
    auth = AuthActions(client)  # the file's admin password replaced this site's: log in again
    assert listed(client, auth) == listed(source_client, source_auth)
    assert import_(client, auth, dump).get_json()["media"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert upload(client, auth, jpeg_with_metadata()).status_code == 201  # ids go on after the imported


def export_with(records):
    header = {"type": "header", "format": "microblog-export", "version": 1, "schema": 11,
              "exported": "2026-12-06T10:00:00Z"}
    return "".join(json.dumps(line) + "\n" for line in [header, *records]).encode()


def media_record(data, media_type="image/png", key="k" * 32):
    return {"type": "media", "key": key, "media_type": media_type, "created": "2026-12-06T10:00:00Z",
            "data": base64.b64encode(data).decode()}


@pytest.mark.parametrize("record, pointer", [
    (media_record(b"not an image"), "/data"),
    (media_record(png_with_metadata(), media_type="image/gif"), "/media_type"),
    ({**media_record(png_with_metadata()), "data": "@@@"}, "/data"),
    (media_record(png_with_metadata(), key="../../etc/passwd"), "/key"),
    (media_record(png_file(100_000, 100_000, zlib.compress(b"\0" * 100))), "/data"),
], ids=["not-an-image", "wrong-type", "not-base64", "bad-key", "bomb"])
def test_an_import_with_a_bad_image_record_stores_nothing(client, auth, record, pointer):
    body = assert_problem(import_(client, auth, export_with([record])), 422)
    assert body["errors"][0]["line"] == 2 and body["errors"][0]["pointer"] == pointer
    assert listed(client, auth) == []


def test_an_import_never_changes_the_bytes_under_a_key(client, auth):
    item = upload(client, auth, png_with_metadata()).get_json()
    before = served(client, item["url"]).get_data()
    other = media_record(encode(picture((10, 10)), "PNG"), key=item["key"])
    assert_problem(import_(client, auth, export_with([other])), 409)
    assert served(client, item["url"]).get_data() == before


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_a_real_server_takes_an_image_of_nearly_max_media_bytes_and_refuses_more(live_server, kind):
    """Through a real server: the upload's own body limit, chunked bodies included."""
    import requests

    from scripts import harness

    server = live_server(kind, workers=1, MAX_MEDIA_BYTES=str(3 * 1024 * 1024))
    session = requests.Session()
    headers = harness.login(session, server.url)
    noise = encode(Image.frombytes("RGB", (1000, 1000), random.Random(1).randbytes(3_000_000)), "PNG")
    assert 2 * 1024 * 1024 < len(noise) <= 3 * 1024 * 1024
    taken = session.post(f"{server.url}/api/v1/admin/media", headers=headers, files={"file": ("n.png", noise)})
    assert taken.status_code == 201, taken.text
    assert session.get(taken.json()["url"]).content == noise  # a PNG of pixels alone: nothing to strip
    too_big = noise + b"\0" * (1024 * 1024)
    refused = session.post(f"{server.url}/api/v1/admin/media", headers=headers, files={"file": ("n.png", too_big)})
    assert refused.status_code == 413
    chunked = session.post(f"{server.url}/api/v1/admin/media", headers={
        **headers, "Content-Type": "multipart/form-data; boundary=b"},
        data=iter([b'--b\r\nContent-Disposition: form-data; name="file"; filename="n.png"\r\n\r\n', too_big,
                   b"\r\n--b--\r\n"]))
    assert chunked.status_code == 413
    listed_now = session.get(f"{server.url}/api/v1/admin/media", headers=headers).json()["items"]
    assert [item["url"] for item in listed_now] == [taken.json()["url"]]


def test_an_image_uploaded_to_one_host_is_served_by_another(live_server):
    """Two servers on one database (PostgreSQL with TEST_DATABASE_URL): the bytes live there."""
    import requests

    from scripts import harness

    first, second = live_server("granian", workers=1), live_server("gunicorn", workers=1)
    session = requests.Session()
    original = jpeg_with_metadata(orientation=3)
    item = session.post(f"{first.url}/api/v1/admin/media", headers=harness.login(session, first.url),
                        files={"file": ("p.jpg", original)}).json()
    path = item["url"].split("/", 3)[3]
    here, there = session.get(f"{first.url}/{path}"), session.get(f"{second.url}/{path}")
    assert there.status_code == 200 and there.content == here.content
    assert there.headers["Content-Type"] == "image/jpeg" and there.headers["ETag"] == here.headers["ETag"]
    key = item["key"]
    assert session.delete(f"{second.url}/api/v1/admin/media/{key}",
                          headers=harness.login(session, second.url)).status_code == 204
    assert session.get(f"{first.url}/{path}").status_code == 404


def variant(kind):
    """Files whose structure the metadata walk must keep whole: more scans, restart markers,
    a colour profile, animations; and a JPEG with a second picture (MPO) after its end."""
    still, other = picture((200, 150)), picture((200, 150)).rotate(180)
    made = {
        "progressive-jpeg": ("JPEG", {"progressive": True}),
        "restart-markers": ("JPEG", {"restart_marker_blocks": 4}),
        "cmyk-jpeg": ("JPEG", {}),
        "icc-jpeg": ("JPEG", {"icc_profile": b"\x01" * 300}),
        "icc-png": ("PNG", {"icc_profile": b"\x01" * 300}),
        "apng": ("PNG", {"save_all": True, "append_images": [other], "duration": [100, 200], "loop": 0}),
        "animated-webp": ("WEBP", {"save_all": True, "append_images": [other], "duration": [100, 200], "xmp": XMP}),
        "mpo": ("MPO", {"save_all": True, "append_images": [other]}),
    }
    image_format, options = made[kind]
    return encode(still.convert("CMYK") if kind == "cmyk-jpeg" else still, image_format, exif=camera_exif(), **options)


@pytest.mark.parametrize("kind", ["progressive-jpeg", "restart-markers", "cmyk-jpeg", "icc-jpeg", "icc-png", "apng",
                                  "animated-webp", "mpo"])
def test_the_metadata_walk_keeps_every_structure_that_draws_the_picture(client, auth, kind):
    original = variant(kind)
    data = served(client, upload(client, auth, original).get_json()["url"]).get_data()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and "xmp" not in image.info and b"Phone" not in data
    if kind.startswith("icc"):
        assert image.info["icc_profile"] == b"\x01" * 300
    if kind == "mpo":  # the second picture, which carries EXIF of its own, goes; the first stays as it was
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1 and len(data) < len(original) * 0.6
        assert same_pixels(encode(Image.open(io.BytesIO(original)), "PNG"), encode(image, "PNG"))
    else:
        assert same_pixels(original, data)
