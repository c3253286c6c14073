"""Seleksi exam server: the database, sealed packages, timed sessions and the candidate protocol.

Imports ``question_bank`` and ``scoring``; ``create_app()`` wires the packages together.
"""
