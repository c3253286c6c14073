"""Proctor and committee accounts, and which sessions a proctor runs.

Roles (``ROLES``): a ``proctor`` sees and acts on the sessions assigned to them only; a
``coordinator`` on every session of their site; an ``admin`` (committee) on every session.
Passwords are stored as argon2id hashes only. Five wrong passwords in a row lock the
account for :data:`proctor_console.accounts.LOCKOUT`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.models import Base, _in, utcnow

ROLES = ("proctor", "coordinator", "admin")


class ProctorUser(Base):
    """A person who may log in at ``/proctor``."""

    __tablename__ = "proctor_user"
    __table_args__ = (sa.CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16))
    site: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProctorAssignment(Base):
    """A proctor assigned to a session (pengawas of that room)."""

    __tablename__ = "proctor_assignment"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("proctor_user.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id"),
                                            primary_key=True)
