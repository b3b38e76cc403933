"""Location and camera metadata (EXIF, XMP, IPTC, comments) cut out of an image's file, its
pixels left as they were encoded: no decoding and no re-encoding, so nothing is lost.

Each format is walked by its container's structure and only the parts that draw the image are
kept (a list of what to keep, never of what to drop, so that an unknown part goes too), as is
anything after the image's end. An EXIF orientation other than "upright" comes back as a
minimal EXIF holding that tag alone, so that the picture still shows the right way up.
"""
import re
import zlib


class MalformedImage(Exception):
    """The file's structure is not what its format says; Pillow read it, this walk cannot."""


ORIENTATION_TAG = 0x0112
UPRIGHT = 1


def strip(data, image_format, orientation=UPRIGHT):
    """The image's bytes without metadata; `image_format` as Pillow names it."""
    exif = _orientation_exif(orientation)
    try:
        if image_format in ("JPEG", "MPO"):
            return _jpeg(data, exif)
        if image_format == "PNG":
            return _png(data, exif)
        if image_format == "WEBP":
            return _webp(data, exif)
        if image_format == "GIF":
            return _gif(data)
    except (IndexError, ValueError) as error:
        raise MalformedImage(str(error)) from None
    raise ValueError(f"not a format this module walks: {image_format}")


def _orientation_exif(orientation):
    """TIFF-structured EXIF with the orientation tag only (None when upright)."""
    if orientation == UPRIGHT:
        return None
    from PIL import Image  # here, as in media.read_picture: only a worker that takes an upload needs it

    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()[len(b"Exif\0\0"):]


# JPEG: markers and their segments up to the end of image, the entropy-coded data kept whole
SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP0, APP2, APP14, APP15, COM = 0xE0, 0xE2, 0xEE, 0xEF, 0xFE
KEPT_APPLICATION_SEGMENTS = {APP0: b"JFIF\0", APP2: b"ICC_PROFILE\0", APP14: b"Adobe"}
MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg(data, exif):
    if data[:2] != b"\xff\xd8":
        raise ValueError("no start of image")
    kept, position, exif_written = [data[:2]], 2, exif is None
    while True:
        if data[position] != 0xFF:
            raise ValueError(f"no marker at {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before a marker
            position += 1
            continue
        if marker == EOI:
            kept.append(data[position:position + 2])
            return b"".join(kept)
        if not exif_written and marker != APP0:  # after JFIF's APP0, which must come first
            kept.append(b"\xff\xe1" + (len(exif) + 8).to_bytes(2, "big") + b"Exif\0\0" + exif)
            exif_written = True
        length = int.from_bytes(data[position + 2:position + 4], "big")
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise ValueError(f"a segment runs past the file at {position}")
        if _keeps_segment(marker, data[position + 4:end]):
            kept.append(data[position:end])
        position = end
        if marker == SOS:
            scan_end = _end_of_scan(data, position)
            kept.append(data[position:scan_end])
            position = scan_end


def _keeps_segment(marker, body):
    if APP0 <= marker <= APP15:
        signature = KEPT_APPLICATION_SEGMENTS.get(marker)
        return signature is not None and body.startswith(signature)
    return marker != COM


def _end_of_scan(data, position):
    """Where the entropy-coded data after a SOS segment ends: at the first marker, a 0xFF that is
    neither a stuffed 0xFF00, a restart marker nor a fill byte before another 0xFF."""
    found = MARKER_IN_SCAN.search(data, position)
    if found is None:
        raise ValueError("the scan runs past the file")
    return found.start()


# PNG: chunks (length, type, data, CRC) up to IEND
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEPT_PNG_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
                   b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"sPLT",
                   b"acTL", b"fcTL", b"fdAT"}  # pixels, colour and animation; no text, time or EXIF


def _png(data, exif):
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("no PNG signature")
    kept, position = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while True:
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            raise ValueError(f"a chunk runs past the file at {position}")
        if kind in KEPT_PNG_CHUNKS:
            kept.append(data[position:end])
        if kind == b"IHDR" and exif is not None:  # eXIf must come before the image data
            kept.append(_png_chunk(b"eXIf", exif))
        if kind == b"IEND":
            return b"".join(kept)
        position = end


def _png_chunk(kind, body):
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


# WebP: a RIFF container of chunks (type, little-endian length, data, a pad byte to even length)
KEPT_WEBP_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
VP8X_EXIF, VP8X_XMP = 0x08, 0x04  # flags in the first byte of VP8X's data


def _webp(data, exif):
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("no RIFF WEBP header")
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data):
        raise ValueError("the RIFF container runs past the file")
    chunks, position, extended = [], 12, False
    while position < end:
        kind = data[position:position + 4]
        length = int.from_bytes(data[position + 4:position + 8], "little")
        chunk_end = position + 8 + length + (length & 1)
        if chunk_end > end:
            raise ValueError(f"a chunk runs past the container at {position}")
        chunk = data[position:chunk_end]
        if kind == b"VP8X":
            extended = True
            flags = chunk[8] & ~(VP8X_EXIF | VP8X_XMP) | (VP8X_EXIF if exif is not None else 0)
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        if kind in KEPT_WEBP_CHUNKS:
            chunks.append(chunk)
        position = chunk_end
    if exif is not None and extended:  # a simple (VP8 or VP8L only) file holds no EXIF
        chunks.append(b"EXIF" + len(exif).to_bytes(4, "little") + exif + b"\0" * (len(exif) & 1))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


# GIF: header and screen, then blocks: images, extensions (in sub-blocks), the trailer
GIF_IMAGE, GIF_EXTENSION, GIF_TRAILER = 0x2C, 0x21, 0x3B
GRAPHIC_CONTROL, APPLICATION = 0xF9, 0xFF
KEPT_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")  # the loop count; XMP and others go


def _gif(data):
    if data[:3] != b"GIF":
        raise ValueError("no GIF header")
    position = 13 + _colour_table_size(data[10])
    kept = [data[:position]]
    while True:
        block = data[position]
        if block == GIF_TRAILER:
            kept.append(data[position:position + 1])
            return b"".join(kept)
        if block == GIF_IMAGE:
            start = position
            position += 10 + _colour_table_size(data[position + 9]) + 1  # + the LZW code size
            position = _after_sub_blocks(data, position)
            kept.append(data[start:position])
        elif block == GIF_EXTENSION:
            label, end = data[position + 1], _after_sub_blocks(data, position + 2)
            application = data[position + 3:position + 14] if label == APPLICATION else None
            if label == GRAPHIC_CONTROL or application in KEPT_APPLICATIONS:
                kept.append(data[position:end])
            position = end
        else:
            raise ValueError(f"no GIF block at {position}")


def _colour_table_size(flags):
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _after_sub_blocks(data, position):
    while data[position]:
        position += data[position] + 1
    if position >= len(data):
        raise ValueError("sub-blocks run past the file")
    return position + 1
