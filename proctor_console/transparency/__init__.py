"""The public result log: an append-only Merkle tree (RFC 6962 §2.1) with signed tree heads.

Every final result (and every later correction) is appended as one leaf; anyone can fetch the
signed tree head, the entries and the proofs and check that nothing was changed, dropped or
reordered (``tools/verify_log.py`` does so without importing this package).

The pure core lives in two modules, which are this package's public face:

- :mod:`proctor_console.transparency.merkle`: leaf and node hashes, tree roots, audit paths,
  consistency proofs and their verification, and :class:`~.merkle.MerkleTree`, the stored form
  that appends in O(log n) (defined in :mod:`.tree`, imported from ``merkle``).
- :mod:`proctor_console.transparency.records`: the canonical result record and its leaf input,
  and the Ed25519-signed tree head.
"""
