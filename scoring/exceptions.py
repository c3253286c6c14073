"""Errors raised by the scoring package; each says what was wrong, where, and what to do."""


class SchemeError(ValueError):
    """A scheme file is missing or malformed.

    The message names the file, the key and the reason, e.g.
    ``skd-2024.toml: sections[2].max_points: must be a positive integer``.
    """
