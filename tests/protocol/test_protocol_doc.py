"""``docs/protocol.md`` against the code: every error code the login API and the ``/exam``
namespace can return, and every event a client sends or the server pushes, is documented.

The codes and events are read from the code itself (its literals, by ``ast``), so a new code
or event the document does not name fails here."""

from __future__ import annotations

import ast
import re

from exam_server.candidate_ns import JOURNALLED, ExamNamespace
from exam_server.login import STATUS
from exam_server.messages import MESSAGES
from tests.cli.conftest import ROOT

DOC = ROOT / "docs" / "protocol.md"
SERVER = ROOT / "exam_server"
# What the candidate's connection and login go through (the proctor's modules are not here).
CANDIDATE_PATH = ("candidate_ns", "journal", "attempts", "login", "api", "rate_limit",
                  "integrity")
REFUSALS = ("AttemptRefused", "LoginRefused", "ConnectionRefusedError", "refusal")
CHECKS = ("check_answer", "check_flag", "_refusal")  # functions returning an error code
SPEC = {"bad_credentials", "bad_token", "session_not_running", "already_logged_in", "locked",
        "finished", "bad_question", "bad_choice", "bad_seq", "time_over", "not_started"}
EVENTS = {"start", "answer", "flag", "finish", "integrity", "time", "paused", "resumed",
          "finished"}


def _strings(node: ast.AST | None) -> set[str]:
    """The string literals an expression can evaluate to (``"a" if x else "b"``: both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.Tuple) and node.elts:  # ("time", payload): the event's name
        return _strings(node.elts[0])
    return set()


def _tree(module: str) -> ast.Module:
    return ast.parse((SERVER / f"{module}.py").read_text(encoding="utf-8"))


def error_codes() -> set[str]:
    """Every error code on the candidate's path: ``{"error": code}`` replies, refusals
    raised, and what the payload checks return."""
    codes: set[str] = set(STATUS)
    for module in CANDIDATE_PATH:
        for node in ast.walk(_tree(module)):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "error":
                        codes |= _strings(value)
            elif isinstance(node, ast.Call) and node.args:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(
                    node.func, "attr", None)
                if name in REFUSALS:
                    codes |= _strings(node.args[0])
                elif name == "append" and module == "login":  # admit_all's outcomes
                    codes |= _strings(node.args[0])
            elif isinstance(node, ast.FunctionDef) and node.name in CHECKS:
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return):
                        codes |= _strings(ret.value)
    return codes


def pushed_events() -> set[str]:
    """The events the server pushes on ``/exam``: the names given to ``emit``, and the
    events the control watch chooses (``_push``)."""
    events: set[str] = set()
    for module in ("candidate_ns", "runtime", "timer", "control_watch"):
        for node in ast.walk(_tree(module)):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(
                    node.func, "attr", None)
                if name == "emit":
                    events |= _strings(node.args[0])
            elif isinstance(node, ast.FunctionDef) and node.name == "_push":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return):
                        events |= _strings(ret.value)
    return events


def client_events() -> set[str]:
    """The events a candidate may send: the namespace's handlers and the journalled ones."""
    handlers = {name[3:] for name in vars(ExamNamespace) if name.startswith("on_")}
    return (handlers - {"connect", "disconnect"}) | set(JOURNALLED)


def documented(text: str) -> set[str]:
    """Every word the document sets in code: between backticks, or in a fenced block."""
    inline = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    spans = re.findall(r"`([^`]+)`", inline) + re.findall(r"```(.*?)```", text, re.DOTALL)
    return {word for span in spans for word in re.findall(r"[a-z_]+", span)}


def test_every_error_code_of_the_code_is_in_the_protocol_document() -> None:
    codes = error_codes()
    assert codes >= SPEC  # the collection found what the issue names (it is not empty)
    assert set(MESSAGES) <= codes  # and every code the login has a message for
    in_doc = documented(DOC.read_text(encoding="utf-8"))
    assert sorted(codes - in_doc) == []


def test_every_event_is_in_the_protocol_document() -> None:
    sent, pushed = client_events(), pushed_events()
    assert sent | pushed == EVENTS  # read from the code: exactly the protocol's events
    text = DOC.read_text(encoding="utf-8")
    for event in sorted(sent):
        assert re.search(rf"^### `{event}`", text, re.MULTILINE), event  # its own section
    pushes = text[text.index("## 4. Pushes from the server"):]
    for event in sorted(pushed):
        assert re.search(rf"^\| `{event}` \|", pushes, re.MULTILINE), event  # a table row
