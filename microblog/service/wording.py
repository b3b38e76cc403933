"""Counts in words that read right: "1 second", "2 seconds"."""


def counted(number, noun, plural=None):
    """`number` and the noun, singular for exactly one ("1 post", "0 posts", "3 revisions")."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
