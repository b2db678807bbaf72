"""Evidence (佐证材料): photos, documents and text notes attach to the item the card shows.

Callback-data kind handled here: EVIDENCE (asks for material for the current item). Files are
never downloaded: only Telegram's `file_id` is kept, and anything over 20 MB is refused from the
size Telegram reports, before any getFile.
"""

from __future__ import annotations

from telegram import Document, InlineKeyboardMarkup, PhotoSize, Update

from handlers import claims
from handlers.callbacks import CallbackData
from handlers.cards import Screen, back_row, render_card
from handlers.catalogue import text
from handlers.context import Context
from handlers.sitting import Sitting, load_sitting, on_press, say_locked, show_here
from handlers.uow import EditMessage, Work, run_unit_of_work
from storage.models import EvidenceKind
from storage.repositories import add_evidence, note_unique_id

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NOTE_CHARACTERS",
    "answer_edit",
    "ask_for_evidence",
    "receive_file",
    "receive_text",
]

# Bot API: getFile downloads files of up to 20 MB; larger evidence could never be opened.
MAX_FILE_BYTES = 20 * 1024 * 1024
# A note is a sentence or a paragraph; a longer text belongs in a document.
MAX_NOTE_CHARACTERS = 2000


@on_press()
def ask_for_evidence(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Tells the secretary to send material for the current item."""
    if not sitting.shows_item(data.arg(0)):
        work.refuse()
        return
    item = sitting.items[sitting.index]
    prompt = text(
        "evidence.prompt",
        number=sitting.index + 1,
        item_text=item.text,
        evidence_hint=item.evidence_hint,
        limit_mb=MAX_FILE_BYTES // (1024 * 1024),
    )
    back = back_row(sitting.card_view())
    show_here(work, sitting, Screen(prompt, InlineKeyboardMarkup([back])))


async def receive_file(update: Update, context: Context) -> None:
    """Attaches a photo or a document to the current item (refusing files over 20 MB)."""
    await run_unit_of_work(update, context, _receive_file)


def _receive_file(work: Work) -> None:
    message = work.update.effective_message
    if message is None:
        return
    media: PhotoSize | Document
    file_name: str | None
    mime_type: str | None
    if message.photo:
        # Telegram lists a photo's sizes smallest first; the largest is the evidence.
        media = message.photo[-1]
        kind, file_name, mime_type = EvidenceKind.PHOTO, None, "image/jpeg"
    elif message.document is not None:
        media = message.document
        kind, file_name, mime_type = EvidenceKind.DOCUMENT, media.file_name, media.mime_type
    else:
        work.say("evidence.unsupported")
        return
    if media.file_size is not None and media.file_size > MAX_FILE_BYTES:
        work.say("evidence.too_large", limit_mb=MAX_FILE_BYTES // (1024 * 1024))
        return
    sitting = _editable_sitting(work)
    if sitting is None:
        return
    added = add_evidence(
        work.session,
        sitting.assessment.id,
        sitting.items[sitting.index].id,
        kind,
        media.file_unique_id,
        sitting.person_id,
        work.now,
        file_id=media.file_id,
        mime_type=mime_type,
        file_size=media.file_size,
        file_name=file_name,
        caption=message.caption,
    )
    _acknowledge(work, sitting, added)


async def receive_text(update: Update, context: Context) -> None:
    """Takes a pending claim's reason, or else attaches the text as a note to the current item."""
    await run_unit_of_work(update, context, _receive_text)


def _receive_text(work: Work) -> None:
    message = work.update.effective_message
    note = (message.text or "").strip() if message else ""
    sitting = _editable_sitting(work)
    if sitting is None:
        return
    if claims.take_reason(work, sitting, note):
        return
    if not note:
        work.say("evidence.unsupported")
        return
    if len(note) > MAX_NOTE_CHARACTERS:
        work.say("evidence.note_too_long", limit=MAX_NOTE_CHARACTERS)
        return
    added = add_evidence(
        work.session,
        sitting.assessment.id,
        sitting.items[sitting.index].id,
        EvidenceKind.NOTE,
        note_unique_id(note),
        sitting.person_id,
        work.now,
        caption=note,
    )
    _acknowledge(work, sitting, added)


async def answer_edit(update: Update, context: Context) -> None:
    """Says that editing a sent message changes nothing: what was saved stays as it was sent."""
    await run_unit_of_work(update, context, lambda work: work.say("evidence.edit_ignored"))


def _editable_sitting(work: Work) -> Sitting | None:
    """Loads the assessment (starting it if need be) and refuses when it is locked."""
    sitting = load_sitting(work, start=True)
    if sitting is None:
        return None
    if not sitting.editable:
        say_locked(work, sitting)
        return None
    return sitting


def _acknowledge(work: Work, sitting: Sitting, added: bool) -> None:
    """Says what happened to the material and refreshes the card's evidence count."""
    if added:
        sitting.count_evidence()
    view = sitting.card_view()
    key = "evidence.added" if added else "evidence.duplicate"
    work.say(key, number=sitting.index + 1, count=view.evidence_count)
    assessment = sitting.assessment
    if added and assessment.card_chat_id is not None and assessment.card_message_id is not None:
        work.reply(
            EditMessage(
                assessment.card_chat_id,
                assessment.card_message_id,
                render_card(sitting.rubric, view),
            )
        )
