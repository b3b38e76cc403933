"""Writes microblog's icon, microblog/web/static/favicon.svg and favicon.ico (16 and 32 px PNGs
drawn from the same shapes), so the committed files can be made again: python scripts/favicon.py"""
import os
import struct
import zlib

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "microblog", "web", "static")
BACKGROUND, FOREGROUND = (0x1F, 0x4E, 0x8C), (0xFF, 0xFF, 0xFF)
RADIUS = 6
# an "m" on a 32-unit square: its top bar and three stems, as (x, y, width, height)
GLYPH = [(6, 10, 20, 4), (6, 10, 4, 15), (14, 10, 4, 15), (22, 10, 4, 15)]
SUPERSAMPLING = 4


def svg():
    shapes = "".join(f'<rect x="{x}" y="{y}" width="{w}" height="{h}"/>' for x, y, w, h in GLYPH)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
            f'<rect width="32" height="32" rx="{RADIUS}" fill="#{bytes(BACKGROUND).hex()}"/>'
            f'<g fill="#{bytes(FOREGROUND).hex()}">{shapes}</g></svg>\n')


def inside_background(x, y):
    """(x, y) in units of the 32-unit square, inside the rounded square."""
    cx = min(max(x, RADIUS), 32 - RADIUS)
    cy = min(max(y, RADIUS), 32 - RADIUS)
    return (x - cx) ** 2 + (y - cy) ** 2 <= RADIUS ** 2


def pixel(px, py, size):
    """RGBA of one pixel, averaged over SUPERSAMPLING² points."""
    totals, n = [0, 0, 0, 0], SUPERSAMPLING
    for i in range(n):
        for j in range(n):
            x = (px + (i + 0.5) / n) * 32 / size
            y = (py + (j + 0.5) / n) * 32 / size
            if not inside_background(x, y):
                continue
            glyph = any(gx <= x < gx + w and gy <= y < gy + h for gx, gy, w, h in GLYPH)
            for k, value in enumerate(FOREGROUND if glyph else BACKGROUND):
                totals[k] += value
            totals[3] += 255
    covered = totals[3] // 255
    if not covered:
        return (0, 0, 0, 0)
    return tuple(v // covered for v in totals[:3]) + (totals[3] // (n * n),)


def png(size):
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y, size)) for x in range(size))
                    for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def ico(sizes=(16, 32)):
    images = [png(size) for size in sizes]
    offset = 6 + 16 * len(images)
    directory = b""
    for size, image in zip(sizes, images, strict=True):
        directory += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return struct.pack("<HHH", 0, 1, len(images)) + directory + b"".join(images)


if __name__ == "__main__":
    with open(os.path.join(STATIC, "favicon.svg"), "w") as out:
        out.write(svg())
    with open(os.path.join(STATIC, "favicon.ico"), "wb") as out:
        out.write(ico())
