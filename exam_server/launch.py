"""The ``seleksi`` console script: gevent's monkey patching comes first for a serving command.

``seleksi serve`` (one process) and ``seleksi demo`` (unless ``--no-serve``) run on gevent,
which must patch the standard library (sockets, ``ssl``, threads) before anything imports
it; the command line's own imports (click, cryptography, SQLAlchemy …) import ``ssl``, so
patching inside the command came too late (gevent's ``MonkeyPatchWarning``: "Monkey-patching
ssl after ssl has already been imported may lead to errors"). Here it happens before them,
and only here: the demo's simulated candidates share the server's gevent loop, and
``--workers N`` starts each worker through :func:`run` too (``exam_server.workers``).
"""

from __future__ import annotations

import sys


def serves_on_gevent(args: list[str]) -> bool:
    """Whether the command line ``args`` (without the program) serves in this process."""
    if not args or {"-h", "--help"} & set(args):
        return False
    if args[0] == "demo":
        serving = [a for a in args if a in ("--serve", "--no-serve")]
        return not serving or serving[-1] == "--serve"
    if args[0] != "serve":
        return False
    workers = "1"
    for i, arg in enumerate(args):  # the last --workers counts, as for click
        if arg.startswith("--workers="):
            workers = arg.split("=", 1)[1]
        elif arg == "--workers" and i + 1 < len(args):
            workers = args[i + 1]
    try:
        return int(workers) == 1  # --workers N > 1: this process only supervises
    except ValueError:
        return False  # click refuses it


def run() -> None:
    """The console script's entry point."""
    if serves_on_gevent(sys.argv[1:]):
        from gevent import monkey

        monkey.patch_all()
    from exam_server.cli import main

    main()
