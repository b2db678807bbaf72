"""People, known by their numeric Telegram user id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Person
from storage.repositories._dialect import insert_for

__all__ = ["find_person", "get_or_create_person"]


def find_person(session: Session, telegram_id: int) -> Person | None:
    """Returns the person with this Telegram user id, if known."""
    return session.scalar(select(Person).where(Person.telegram_id == telegram_id))


def get_or_create_person(
    session: Session, telegram_id: int, display_name: str | None = None
) -> Person:
    """Returns the person, adding them when new and refreshing a changed display name.

    An upsert rather than select-then-insert: two first presses from the same new user at
    once must not collide on the unique Telegram id.
    """
    statement = insert_for(session, Person).values(
        telegram_id=telegram_id, display_name=display_name
    )
    if display_name is None:
        statement = statement.on_conflict_do_nothing(index_elements=["telegram_id"])
        person: Person | None = session.scalar(statement.returning(Person))
        if person is None:
            person = find_person(session, telegram_id)
    else:
        statement = statement.on_conflict_do_update(
            index_elements=["telegram_id"], set_={"display_name": display_name}
        )
        person = session.scalar(
            statement.returning(Person), execution_options={"populate_existing": True}
        )
    if person is None:  # pragma: no cover - the row exists after either statement
        raise LookupError(f"person {telegram_id} vanished during get_or_create_person")
    return person
