"""glibc malloc's settings for `microblog serve`'s workers, made in the server's process before it
forks them: a forked worker keeps its parent's allocator and settings.

By default glibc gives each thread that finds the allocator busy an arena of its own, up to 8 a
core, and keeps the memory freed in each; a worker's threads (granian's, each request's) thus
held 8–15 arenas, 10–13 MB, a third of it free. It also raises the size above which a block gets
its own mapping, and the free memory it keeps before giving any back, after each large block
freed (up to 32 MB and twice that). Two arenas, and fixed thresholds at glibc's own starting
values, kept each worker 2–4 MB smaller under `bench/worker_memory.py`'s load, at the same
requests/s (docs/benchmarks.md, "Third pass: worker memory")."""
import ctypes

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
SETTINGS = {M_ARENA_MAX: 2, M_MMAP_THRESHOLD: 128 * 1024, M_TRIM_THRESHOLD: 128 * 1024}


def apply():
    """Set them, where the C library is glibc (elsewhere nothing is changed)."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return
    for parameter, value in SETTINGS.items():
        mallopt(parameter, value)
