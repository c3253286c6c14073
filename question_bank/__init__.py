"""Seleksi question bank: items, their formats, blueprints, deterministic papers, sealing.

Imports ``scoring`` (schemes) and nothing else of the project.
"""
