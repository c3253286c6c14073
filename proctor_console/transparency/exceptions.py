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
