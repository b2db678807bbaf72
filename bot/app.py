"""Wiring: `build_application(settings)` builds the bot and registers every handler, in order."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.settings import Settings
from bot.update_log import LOG_GROUP, log_update
from handlers import (
    assessment,
    binding,
    claims,
    county,
    evidence,
    feedback,
    publicity,
    reminders,
    results,
    review,
    review_branch,
    review_finalize,
    review_input,
    status,
    submit,
    sweep,
    upkeep,
)
from handlers import help as help_flow
from handlers.callbacks import Kind
from handlers.catalogue import text
from handlers.context import CONTEXT_TYPES, BotState
from handlers.errors import handle_error
from handlers.ordering import PerUserUpdateProcessor
from handlers.outbox import Renderer
from handlers.procedure_events import render_procedure_event
from handlers.refusals import refuse_unknown_button
from handlers.review_events import render_review_event
from handlers.sending import SendPacer
from storage.models import DeliveryKind

if TYPE_CHECKING:
    from storage.database import Database

__all__ = [
    "COMMANDS",
    "OFFLINE_TOKEN",
    "build_application",
    "delivery_renderers",
    "prepare_application",
]

logger = logging.getLogger(__name__)

# The command menu, in the order Telegram shows it; descriptions come from the catalogue.
COMMANDS = ("start", "assess", "status", "help", "cancel")

# PTB needs some token to build a Bot; with an offline transport nothing ever checks it.
OFFLINE_TOKEN = "123456:offline-transport"

PingxingApplication = Application[Any, Any, Any, Any, BotState, Any]


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    polling_request: BaseRequest | None = None,
    database: Database | None = None,
) -> PingxingApplication:
    """Builds the Application with every handler registered.

    Args:
        settings: the environment, read once by the caller.
        request: a transport for every Bot API call, polling included; the tests and the demo
            pass an offline fake so nothing touches the network.
        polling_request: the transport for getUpdates alone (`bot.polling.TokenWatch`);
            `request` when absent.
        database: an already opened database (the caller disposes of it); when absent,
            `post_init` opens (and migrates) `settings.database_url`.

    Raises:
        ValueError: there is neither a bot token nor an offline transport.
    """
    if settings.bot_token is not None:
        token = settings.bot_token.get_secret_value()
    elif request is not None:
        token = OFFLINE_TOKEN
    else:
        raise ValueError("PINGXING_BOT_TOKEN is not set and no offline transport was given")

    builder = (
        ApplicationBuilder()
        .token(token)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(PerUserUpdateProcessor())
        .post_init(prepare_application)
        .post_shutdown(_close_database)
    )
    if settings.bot_api_url:
        builder = builder.base_url(settings.bot_api_url)
    if request is not None:
        builder = builder.request(request)
    polling = polling_request if polling_request is not None else request
    if polling is not None:
        builder = builder.get_updates_request(polling)
    application: PingxingApplication = builder.build()

    state = application.bot_data
    state.timezone = settings.zone
    state.bot_username = settings.bot_username
    state.database = database
    state.database_url = settings.database_url
    state.delivery_renderers = delivery_renderers(settings.zone)
    state.send_pacer = SendPacer(settings.send_rate)
    state.reminder_schedule = settings.reminder_schedule
    state.quiet = settings.reminder_schedule.quiet
    _register_handlers(application)
    # The jobs are clocks that drive the database: what is owed and when lives there, never
    # only in this process's job store, so any number of processes may run them.
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("no JobQueue: install python-telegram-bot with the job-queue extra")
    upkeep.schedule_pruning(job_queue)
    sweep.schedule_sweep(job_queue, settings.sweep_seconds)
    reminders.schedule_planning(job_queue)
    publicity.schedule_publicity_closing(job_queue)
    return application


def delivery_renderers(zone: ZoneInfo) -> dict[str, Renderer]:
    """Delivery kind → the renderer the sweep sends it with: every kind the bot sends.

    A kind missing here ends `failed_permanent` with the reason, so nothing is sent unrendered.
    """
    return {
        DeliveryKind.REMINDER: partial(reminders.render_reminder, zone=zone),
        DeliveryKind.OVERDUE: partial(reminders.render_overdue, zone=zone),
        DeliveryKind.DIGEST: partial(reminders.render_digest, zone=zone),
        DeliveryKind.RESULT: results.render_result,
        DeliveryKind.REVIEW_EVENT: render_review_event,
        DeliveryKind.PROCEDURE_EVENT: render_procedure_event,
    }


def _on_button(kind: Kind) -> str:
    """The callback-data pattern of one kind of button."""
    return rf"^{re.escape(kind.code)}:"


def _register_handlers(application: PingxingApplication) -> None:
    """Adds every handler. Order matters: the first matching handler in group 0 wins.

    Only private chats are served: the bot talks to one secretary at a time. Commands and
    material come from new messages only, with a sender: an edited message never runs a command
    (an edited `/start <code>` would bind again) nor adds a note twice, and a message without
    `from` (Telegram sends none in a private chat) reaches no handler.
    """
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.USER
    # 0. Before the flows, in a group of its own: one log line per update, whoever takes it.
    application.add_handler(TypeHandler(Update, log_update), group=LOG_GROUP)

    # 1. Commands first, so "/cancel" is never taken for a claim's reason or an evidence note.
    commands = {
        "start": binding.start,
        "assess": assessment.assess,
        "status": status.show_status,
        "help": help_flow.show_help,
        "cancel": claims.cancel_pending,
        # The town officer's review (镇党委考评); typed input acts on the branch page opened last.
        "review": review.start_review,
        "score": review_input.enter_score,
        "rescore": review_input.rescore_open_item,
        "return": review_input.return_branch,
        "claim": review_input.decide_declared_claim,
        "deduct": review_input.record_review_deduction,
        "decide": review_finalize.decide_tie,
        "except": review_finalize.record_exception,
        # The town's publicity (公示) and naming (统一命名).
        "publicity": publicity.open_town_publicity,
        "objection": publicity.object_to_branch,
        "resolve": publicity.resolve_town_objection,
        "name": publicity.name_town,
        # The county's re-check (县级复核); typed decisions act on the recommendation opened last.
        "county": county.start_county,
        "opinion": county.record_department_opinion,
        "approve": county.approve_recommendation,
        "reject": county.reject_recommendation,
    }
    for command, command_callback in commands.items():
        application.add_handler(CommandHandler(command, command_callback, filters=private))

    # 2. Buttons, one handler per callback-data kind (the kind is the prefix before ":").
    buttons = {
        Kind.ANSWER: assessment.record_answer,
        Kind.PREVIOUS: assessment.show_previous,
        Kind.SKIP: assessment.skip_item,
        Kind.GOTO: assessment.go_to_item,
        Kind.CONTENTS: assessment.show_contents,
        Kind.AREA: assessment.show_area,
        Kind.CARD: assessment.show_card,
        Kind.EVIDENCE: evidence.ask_for_evidence,
        Kind.SUMMARY: feedback.show_summary,
        Kind.SUBMIT: submit.ask_declared_level,
        Kind.DECLARE: submit.confirm_submission,
        Kind.CONFIRM: submit.submit,
        Kind.CLAIMS: claims.show_claims,
        Kind.BONUS_KIND: claims.choose_bonus_kind,
        Kind.BONUS_POINTS: claims.choose_bonus_points,
        Kind.DEDUCTION_KIND: claims.choose_deduction_kind,
        Kind.CANCEL_INPUT: claims.cancel_input,
        Kind.RESUME: reminders.resume_assessment,
        Kind.LOST_POINTS: results.show_lost_points,
        Kind.REVIEW_HOME: review.show_dashboard,
        Kind.REVIEW_LIST: review.show_branches,
        Kind.REVIEW_BRANCH: review_branch.show_branch,
        Kind.REVIEW_EVIDENCE: review_branch.resend_evidence,
        Kind.REVIEW_ITEM: review_branch.show_item,
        Kind.REVIEW_RESCORE: review_branch.rescore,
        Kind.REVIEW_AWARD: review_branch.award_claim,
        Kind.REVIEW_MARK: review_branch.mark_branch_reviewed,
        Kind.REVIEW_RETURN: review_branch.start_return,
        Kind.REVIEW_RANKING: review_finalize.show_ranking,
        Kind.REVIEW_FINALIZE: review_finalize.finalize,
        Kind.COUNTY_HOME: county.show_county,
        Kind.COUNTY_BRANCH: county.show_recommendation,
    }
    for kind, callback in buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=_on_button(kind)))
    # 3. Any other button (malformed, forged, from an older version of the bot) is refused.
    application.add_handler(CallbackQueryHandler(refuse_unknown_button))

    # 4. Material the secretary sends: files are evidence; a text answers a pending claim's
    #    question, or else is an evidence note. After the commands, so "/help" is no note.
    application.add_handler(
        MessageHandler(private & (filters.PHOTO | filters.Document.ALL), evidence.receive_file)
    )
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, evidence.receive_text)
    )
    # 5. An edit of any message changes nothing saved; the secretary is told so.
    edits = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.USER
    application.add_handler(MessageHandler(edits, evidence.answer_edit))

    # Last: the one error handler, which logs and tells the user plainly.
    application.add_error_handler(handle_error)


async def prepare_application(application: PingxingApplication) -> None:
    """Opens the database when none was given, then sets the Chinese command menu.

    PTB calls this from `run_polling`; offline callers (demo, tests) may await it themselves
    after `initialize()`.
    """
    state = application.bot_data
    if state.database is None:
        from storage.database import open_database

        if state.database_url is None:
            raise RuntimeError("no database URL to open: build_application sets one")
        state.database = await open_database(state.database_url)
        state.owns_database = True
    await application.bot.set_my_commands(
        [BotCommand(command, text(f"commands.{command}")) for command in COMMANDS]
    )


async def _close_database(application: PingxingApplication) -> None:
    """Disposes of the database `prepare_application` opened (a given one is the caller's)."""
    state = application.bot_data
    if state.owns_database and state.database is not None:
        await state.database.dispose()
        state.database = None
        state.owns_database = False
