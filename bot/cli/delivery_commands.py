"""Messages the bot owes and has sent: `pingxing deliveries --town T [--state S] [--json]`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    DatabaseOption,
    JsonOption,
    TownOption,
    fail,
    find_town_or_fail,
    in_transaction,
    local_time,
    print_json,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Delivery

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Adds `deliveries`."""
    app.command("deliveries")(deliveries)


def deliveries(
    town: TownOption,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="Only this state: pending (owed), sending, sent, failed_permanent, unknown, "
            "unreachable, cancelled, expired.",
        ),
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Lists a town's deliveries (reminders, digests, results): state, attempts, the error kept."""
    from storage.models import DeliveryState
    from storage.repositories import deliveries_of_town

    states = [member.value for member in DeliveryState]
    if state is not None and state not in states:
        fail(f"--state must be one of {', '.join(states)}; got {state!r}")
    wanted = None if state is None else DeliveryState(state)

    def work(session: Session) -> list[Delivery]:
        return deliveries_of_town(session, find_town_or_fail(session, town).id, wanted)

    found = in_transaction(database_url, work)
    if as_json:
        print_json([_as_json(delivery) for delivery in found])
        return
    for delivery in found:
        fields = [
            str(delivery.id),
            delivery.kind,
            str(delivery.recipient_telegram_id),
            delivery.state,
            f"attempts {delivery.attempts}",
            f"due {local_time(delivery.due_at)}",
            f"sent {local_time(delivery.sent_at)}",
            delivery.last_error or "",
        ]
        typer.echo("\t".join(fields).rstrip())
    if not found:
        typer.echo("no deliveries" + (f" in state {state}" if state else ""), err=True)


def _as_json(delivery: Delivery) -> dict[str, Any]:
    """One delivery as `--json` prints it (times in UTC, ISO)."""
    return {
        "id": delivery.id,
        "kind": delivery.kind,
        "recipient": delivery.recipient_telegram_id,
        "due_key": delivery.due_key,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "due_at": delivery.due_at.isoformat(),
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
        "last_error": delivery.last_error,
    }
