"""How one try of a delivery went, as every sender reports it to the worker."""
from dataclasses import dataclass

RETRYABLE_STATUSES = {408, 425, 429}  # and every 5xx; any other answer is the receiver's last word
MAX_DETAIL = 300


@dataclass(frozen=True)
class Outcome:
    """How a try went: delivered, or not, and then whether trying again can help and whether
    the host itself failed (no answer, an error of its own, or "slow down")."""

    ok: bool
    permanent: bool = False
    host_failed: bool = False
    detail: str | None = None
    result: object = None  # what a delivery that fetches brings back (the answer), for the service


DELIVERED = Outcome(ok=True)


def outcome_of(status):
    if 200 <= status < 300:
        return DELIVERED
    retryable = is_retryable(status)
    return Outcome(ok=False, permanent=not retryable, host_failed=retryable, detail=f"answered {status}")


def is_retryable(status):
    """An answer that may differ if asked again later: the server's error, or "not now"."""
    return status >= 500 or status in RETRYABLE_STATUSES


def short(text):
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL - 1] + "…"
