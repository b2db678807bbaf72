"""The organisation tree, the people, and who may act for which organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

__all__ = ["BindAttempt", "Branch", "County", "Invite", "Person", "RoleGrant", "Town"]


class County(Base):
    """A county (县): the top of the tree and the county reviewers' scope."""

    __tablename__ = "county"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Town(Base):
    """A town (镇): runs the rating cycle for its branches."""

    __tablename__ = "town"
    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    name: Mapped[str] = mapped_column(String(100))

    county: Mapped[County] = relationship(lazy="joined", innerjoin=True)


class Branch(Base):
    """A Party branch (党支部) with its category (领域), e.g. `rural`."""

    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("town_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    code: Mapped[str | None] = mapped_column(String(60))
    secretary_name: Mapped[str | None] = mapped_column(String(100))
    # Last year's star level from the organisation list (上年星级), for the result message when
    # the database holds no named cycle of last year.
    last_year_stars: Mapped[int | None]


class Person(Base):
    """Someone known by their numeric Telegram user id."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))


class RoleGrant(Base):
    """A role over one organisation; `org_id` is a branch, town or county id by `role`.

    Grants are revoked, never deleted, so the audit trail can say who could act when.
    """

    __tablename__ = "role_grant"
    __table_args__ = (Index("ix_role_grant_role_org", "role", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int]
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    granted_at: Mapped[datetime]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="joined", innerjoin=True)


class Invite(Base):
    """A single-use code binding a secretary to a branch; only its SHA-256 is kept."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    redeemed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    redeemed_at: Mapped[datetime | None]


class BindAttempt(Base):
    """One try at redeeming a code, so repeated wrong guesses can be slowed down."""

    __tablename__ = "bind_attempt"
    __table_args__ = (Index("ix_bind_attempt_telegram_id_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    ok: Mapped[bool]
