"""§5: ``GET /ujian/media/<sha256>`` serves the images of the bearer's session, to it alone."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.cli.conftest import EXAMPLE, make_runner, write_roster
from tests.protocol.helpers import SESSION, Candidate, Prepared, Sealed, Server, prepare

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
                       "GAhKmMIQAAAABJRU5ErkJggg==")
IMAGE = hashlib.sha256(PNG).hexdigest()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
UNUSED = hashlib.sha256(SVG).hexdigest()


@pytest.fixture(scope="module")
def sealed_with_image(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    """A package whose TWK stems all show one PNG (the bank also holds an unused SVG)."""
    work = tmp_path_factory.mktemp("media")
    run = make_runner(work / "instance", None)
    run("keys", "init")
    run("bank", "sample", "--items", "600", "--out", work / "bank.json")
    bank = json.loads((work / "bank.json").read_text(encoding="utf-8"))
    for item in bank["items"]:
        if item["section"] == "TWK":
            item["stem"] += f"\n\n![peta](sha256:{IMAGE})"
    bank["media"] = {IMAGE: {"type": "image/png", "data": base64.b64encode(PNG).decode()}}
    (work / "bank.json").write_text(json.dumps(bank), encoding="utf-8")
    run("bank", "import", work / "bank.json")
    run("exam", "load", EXAMPLE)
    roster = write_roster(work / "participants.csv", 2, SESSION)
    seal = work / "exam.seal"
    run("papers", "build", "--exam", "skd-2024-demo", "--participants", roster, "--seed", "m",
        "--out", seal)
    key = run("papers", "release-key", seal, "--session", SESSION).stdout.strip()
    return Sealed(seal, work / "instance" / "keys", key, 2)


@pytest.fixture
def media_server(sealed_with_image: Sealed, sqlite_url: str,
                 tmp_path: Path) -> Iterator[tuple[Server, Prepared]]:
    prepared = prepare(sealed_with_image, tmp_path / "instance", sqlite_url)
    server = Server(prepared.instance, prepared.url).start()
    yield server, prepared
    Candidate.close_all()
    server.stop()
    prepared.factory.kw["bind"].dispose()


def _get(server: Server, sha: str, bearer: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return requests.get(f"{server.base}/ujian/media/{sha}", headers=headers, timeout=10)


def test_media_for_a_live_bearer_only(media_server: tuple[Server, Prepared]) -> None:
    server, prepared = media_server
    first, second = prepared.numbers
    login = server.login(first, prepared.pins[first], prepared.token())
    bearer = login.json()["token"]
    candidate = Candidate(server, bearer)
    texts = [q["text"] for q in candidate.call("start")["paper"]["questions"]]
    assert sum(f"sha256:{IMAGE}" in t for t in texts) == 30  # every TWK stem
    ok = _get(server, IMAGE, bearer)
    assert ok.status_code == 200
    assert ok.content == PNG
    assert ok.headers["Content-Type"] == "image/png"
    assert "no-store" in ok.headers["Cache-Control"]
    # a hash the session does not hold, or not a hash at all
    for sha in (UNUSED, "0" * 64, "peta.png"):
        missing = _get(server, sha, bearer)
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
    # no bearer, a wrong one, another scheme
    assert _get(server, IMAGE, None).status_code == 401
    assert _get(server, IMAGE, "x" * 43).json()["error"] == "bad_token"
    basic = requests.get(f"{server.base}/ujian/media/{IMAGE}", timeout=10,
                         headers={"Authorization": f"Basic {bearer}"})
    assert basic.status_code == 401
    # a newer login of the same participant revokes the old bearer
    candidate.close()
    newer = server.login(first, prepared.pins[first], prepared.token())
    assert newer.status_code == 200, newer.text  # the old connection was seen to end
    assert _get(server, IMAGE, bearer).status_code == 401
    assert _get(server, IMAGE, newer.json()["token"]).status_code == 200
    # another candidate of the session gets it with their own bearer
    other = server.login(second, prepared.pins[second], prepared.token()).json()["token"]
    assert _get(server, IMAGE, other).content == PNG
