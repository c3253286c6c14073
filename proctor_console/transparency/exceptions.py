"""Errors of the transparency log; each says what was wrong, where, and what to do."""


class MerkleError(ValueError):
    """A Merkle tree operation got an argument it cannot use.

    The message names the argument and the valid range, e.g.
    ``audit_path: index 12 is outside a tree of 12 leaves (valid: 0..11)``.
    """


class RecordError(ValueError):
    """A result record cannot go into the log as it is; nothing was appended.

    The message names the key and the reason, e.g.
    ``record['sections']['TIU']: must be an integer, got '80'``.
    """


class TreeHeadError(ValueError):
    """A signed tree head is malformed or its signature does not verify.

    The message names the field, e.g.
    ``tree head: 'sha256_root_hash' must be base64 of 32 bytes, got 31 bytes``.
    """


class LogQueryError(ValueError):
    """A request to the log's API that cannot be answered as asked (HTTP 400 or 404).

    ``code`` is the API's error code (``bad_request``, ``not_found``); the message names the
    parameter, its value and the valid range, e.g. ``second=12 is beyond the log's current
    size 9``.
    """

    def __init__(self, message: str, code: str = "bad_request", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class LogIntegrityError(RuntimeError):
    """The stored log does not hold together (entries missing, a root that does not match).

    Raised before anything is appended: appending to a damaged log would hide the damage.
    The message says what was found and what to restore.
    """
