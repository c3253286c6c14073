"""Seleksi scoring: pure, deterministic, vectorised scoring of answer sheets.

This package imports nothing of the rest of the project.
"""
