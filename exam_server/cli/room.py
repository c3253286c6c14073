"""``seleksi session pause|resume|extend|finish|disqualify|close|publish``: room control.

Each command needs ``--reason`` (it goes into the audit log). A running server notices the
change within a second and tells the candidates (``exam_server.control_watch``).
"""

from __future__ import annotations

import click

from exam_server.attempts import AttemptRefused
from exam_server.cli.context import actor_option, default_actor, exam_option, open_db
from exam_server.clock import clock_from_env
from exam_server.config import keys_path
from exam_server.proctoring import (
    close_session,
    disqualify,
    extend_time,
    finish_participant,
    pause_session,
    publish_session,
    resume_session,
)
from exam_server.session_papers import PaperCache
from question_bank.keys import load_public_key

reason_option = click.option("--reason", required=True,
                             help="why (recorded in the audit log and the session report)")


def _papers() -> PaperCache:
    return PaperCache(open_db(), lambda: load_public_key(keys_path() / "bank.pub"))


@click.command("pause")
@click.argument("session")
@reason_option
@exam_option
@actor_option
def pause(session: str, reason: str, exam_id: str | None, actor: str | None) -> None:
    """Pause the whole room (power cut): every clock stops, answers wait."""
    pause_session(open_db(), session, actor=actor or default_actor(), reason=reason,
                  now=clock_from_env().now(), exam_id=exam_id)
    click.echo(f"session {session} paused: clocks stand still until "
               f"`seleksi session resume {session}`")


@click.command("resume")
@click.argument("session")
@reason_option
@exam_option
@actor_option
def resume(session: str, reason: str, exam_id: str | None, actor: str | None) -> None:
    """Resume a paused room; every candidate gets the paused time back."""
    seconds = resume_session(open_db(), session, actor=actor or default_actor(),
                             reason=reason, now=clock_from_env().now(), exam_id=exam_id)
    click.echo(f"session {session} resumed: {seconds} s given back to every candidate at work")


@click.command("extend")
@click.argument("session")
@click.option("--minutes", type=int, required=True, help="minutes to add (1–600)")
@click.option("--participant", default=None,
              help="only this participant (default: everyone not finished in the session)")
@reason_option
@exam_option
@actor_option
def extend(session: str, minutes: int, participant: str | None, reason: str,
           exam_id: str | None, actor: str | None) -> None:
    """Give more time to one participant, or to the whole room."""
    n = extend_time(open_db(), session, minutes, actor=actor or default_actor(), reason=reason,
                    now=clock_from_env().now(), participant=participant, exam_id=exam_id)
    who = f"participant {participant}" if participant else f"{n} attempt(s) of {session}"
    click.echo(f"{who}: {minutes} minute(s) added")


@click.command("finish")
@click.argument("participant")
@reason_option
@exam_option
@actor_option
def finish(participant: str, reason: str, exam_id: str | None, actor: str | None) -> None:
    """Finish one participant's attempt now (scored as it stands)."""
    try:
        result = finish_participant(open_db(), _papers(), participant,
                                    actor=actor or default_actor(), reason=reason,
                                    now=clock_from_env().now(), exam_id=exam_id)
    except AttemptRefused as exc:
        why = {"not_started": "has not started", "finished": "has already finished"}
        raise click.ClickException(f"participant {participant} "
                                   f"{why.get(exc.code, exc.code)}") from None
    sections = ", ".join(f"{k} {v}" for k, v in result["sections"].items())
    click.echo(f"participant {participant} finished: {sections}, total {result['total']}; "
               f"{result['decision']}")


@click.command("disqualify")
@click.argument("participant")
@reason_option
@exam_option
@actor_option
def disqualify_(participant: str, reason: str, exam_id: str | None, actor: str | None) -> None:
    """Disqualify a participant (DIS): finished now if still working; logged publicly."""
    try:
        disqualify(open_db(), _papers(), participant, actor=actor or default_actor(),
                   reason=reason, now=clock_from_env().now(), exam_id=exam_id)
    except AttemptRefused:
        raise click.ClickException(f"participant {participant} has not started: nothing to "
                                   "disqualify") from None
    click.echo(f"participant {participant} disqualified (DIS)")


@click.command("close")
@click.argument("session")
@reason_option
@exam_option
@actor_option
def close(session: str, reason: str, exam_id: str | None, actor: str | None) -> None:
    """Close the session: finish everyone still at work, end log-ins, seal the papers."""
    counts = close_session(open_db(), _papers(), session, actor=actor or default_actor(),
                           reason=reason, now=clock_from_env().now(), exam_id=exam_id)
    click.echo(f"session {session} closed: {counts['finished']} finished now, "
               f"{counts['already']} had finished, {counts['absent']} never started; "
               "its key is no longer stored")


@click.command("publish")
@click.argument("session")
@reason_option
@exam_option
@actor_option
def publish(session: str, reason: str, exam_id: str | None, actor: str | None) -> None:
    """Publish a closed session's results."""
    publish_session(open_db(), session, actor=actor or default_actor(), reason=reason,
                    now=clock_from_env().now(), exam_id=exam_id)
    click.echo(f"session {session} published")


COMMANDS = (pause, resume, extend, finish, disqualify_, close, publish)
