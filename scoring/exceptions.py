"""Errors raised by the scoring package; each says what was wrong, where, and what to do."""


class SchemeError(ValueError):
    """A scheme file is missing or malformed.

    The message names the file, the key and the reason, e.g.
    ``skd-2024.toml: sections[2].max_points: must be a positive integer``.
    """


class InputError(ValueError):
    """An input to scoring is wrong: a key, responses, candidates or formations row.

    The message names the file, the row and the reason, e.g.
    ``responses.csv row 12: item 'X9' is not in the key (key.csv)``.
    """
