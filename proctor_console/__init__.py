"""Seleksi proctor console and public scoreboard (``/proctor``, ``/scoreboard``).

Built by the proctor-console issue; it imports ``exam_server`` and ``scoring`` and is wired in
by ``exam_server.create_app()`` only.
"""
