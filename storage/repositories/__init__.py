"""Repositories: synchronous functions taking a `Session`; none of them commits.

The caller owns the transaction (one unit of work run by `Database.run`), so a handler's
writes and the update id it records commit together or not at all.
"""

from storage.repositories.assessments import (
    SUBMITTABLE_STATES,
    InvalidTransition,
    answers_of,
    get_assessment,
    get_assessment_for_update,
    get_or_create_assessment,
    set_answer,
    set_card,
    set_position,
    submit_assessment,
)
from storage.repositories.audit import audit_trail, jsonable, record_audit
from storage.repositories.cycles import (
    DEFAULT_REMINDER_DAYS,
    CycleExists,
    current_cycle,
    cycle_rubric,
    cycles_of,
    find_cycle,
    open_cycle,
    rubric_sha256,
)
from storage.repositories.deliveries import (
    claim_due_deliveries,
    expire_stale_sendings,
    mark_failed,
    mark_sent,
    owe_delivery,
)
from storage.repositories.evidence import (
    add_claim,
    add_evidence,
    claims_of,
    evidence_counts,
    note_unique_id,
)
from storage.repositories.invites import (
    RedeemOutcome,
    RedeemResult,
    create_invite,
    hash_invite_code,
    recent_failed_attempts,
    record_bind_attempt,
    redeem_invite,
    redeem_invite_for,
)
from storage.repositories.marks import AssessmentMarks, assessment_marks
from storage.repositories.orgs import (
    AmbiguousOrgName,
    BranchChange,
    branches_of_town,
    find_branch,
    find_county,
    find_town,
    get_or_create_county,
    get_or_create_town,
    upsert_branch,
)
from storage.repositories.people import find_person, get_or_create_person
from storage.repositories.roles import (
    grant_role,
    has_role,
    list_roles,
    revoke_role,
    secretary_branch,
)
from storage.repositories.standing import (
    AssessmentView,
    BranchView,
    CycleView,
    SecretaryStanding,
    cycle_rubric_text,
    secretary_standing,
)
from storage.repositories.status import BranchProgress, town_progress
from storage.repositories.updates import mark_update_processed, prune_processed_updates

__all__ = [
    "DEFAULT_REMINDER_DAYS",
    "SUBMITTABLE_STATES",
    "AmbiguousOrgName",
    "AssessmentMarks",
    "AssessmentView",
    "BranchChange",
    "BranchProgress",
    "BranchView",
    "CycleExists",
    "CycleView",
    "InvalidTransition",
    "RedeemOutcome",
    "RedeemResult",
    "SecretaryStanding",
    "add_claim",
    "add_evidence",
    "answers_of",
    "assessment_marks",
    "audit_trail",
    "branches_of_town",
    "claim_due_deliveries",
    "claims_of",
    "create_invite",
    "current_cycle",
    "cycle_rubric",
    "cycle_rubric_text",
    "cycles_of",
    "evidence_counts",
    "expire_stale_sendings",
    "find_branch",
    "find_county",
    "find_cycle",
    "find_person",
    "find_town",
    "get_assessment",
    "get_assessment_for_update",
    "get_or_create_assessment",
    "get_or_create_county",
    "get_or_create_person",
    "get_or_create_town",
    "grant_role",
    "has_role",
    "hash_invite_code",
    "jsonable",
    "list_roles",
    "mark_failed",
    "mark_sent",
    "mark_update_processed",
    "note_unique_id",
    "open_cycle",
    "owe_delivery",
    "prune_processed_updates",
    "recent_failed_attempts",
    "record_audit",
    "record_bind_attempt",
    "redeem_invite",
    "redeem_invite_for",
    "revoke_role",
    "rubric_sha256",
    "secretary_branch",
    "secretary_standing",
    "set_answer",
    "set_card",
    "set_position",
    "submit_assessment",
    "town_progress",
    "upsert_branch",
]
