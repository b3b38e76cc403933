"""What an upload costs the server: a 12-megapixel JPEG of noise (the worst case for its pixel
count: nothing compresses, and its entropy-coded data holds the most 0xFF bytes to step over),
checked and decoded as an upload is (service/media.py), then its metadata cut out
(service/image_metadata.py). Prints the times and this process's peak memory.

Run: .venv/bin/python scripts/media_figures.py
"""
import io
import random
import resource
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from microblog.config import Defaults  # noqa: E402
from microblog.service import image_metadata, media  # noqa: E402

WIDTH, HEIGHT = 4000, 3000


def main():
    buffer = io.BytesIO()
    Image.frombytes("RGB", (WIDTH, HEIGHT), random.Random(1).randbytes(WIDTH * HEIGHT * 3)).save(
        buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    started = time.perf_counter()
    picture = media.read_picture(data, Defaults.MEDIA_MAX_PIXELS, decode=True)
    decoded = time.perf_counter()
    image_metadata.strip(data, picture.image_format, picture.orientation)
    walked = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{WIDTH * HEIGHT / 1e6:.0f} MP JPEG of {len(data) / 1e6:.1f} MB: checked and decoded in "
          f"{1000 * (decoded - started):.0f} ms, its metadata cut out in {1000 * (walked - decoded):.0f} ms; "
          f"peak memory of this process {peak:.0f} MiB (the test image's making included)")


if __name__ == "__main__":
    main()
