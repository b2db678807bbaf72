"""The tables, re-exported: `from storage.models import Assessment`."""

from storage.models.base import (
    AnswerSource,
    AssessmentState,
    Base,
    ClaimDirection,
    ClaimStatus,
    CycleState,
    DeliveryKind,
    DeliveryState,
    EvidenceKind,
    Role,
)
from storage.models.ops import AuditEntry, Delivery, ProcessedUpdate
from storage.models.org import BindAttempt, Branch, County, Invite, Person, RoleGrant, Town
from storage.models.rating import Answer, Assessment, Claim, Cycle, Evidence, ReviewScore
from storage.models.review import CommitteeDecision, DecisionKind, ReviewFocus, ReviewOutcome

__all__ = [
    "Answer",
    "AnswerSource",
    "Assessment",
    "AssessmentState",
    "AuditEntry",
    "Base",
    "BindAttempt",
    "Branch",
    "Claim",
    "ClaimDirection",
    "ClaimStatus",
    "CommitteeDecision",
    "County",
    "Cycle",
    "CycleState",
    "DecisionKind",
    "Delivery",
    "DeliveryKind",
    "DeliveryState",
    "Evidence",
    "EvidenceKind",
    "Invite",
    "Person",
    "ProcessedUpdate",
    "ReviewFocus",
    "ReviewOutcome",
    "ReviewScore",
    "Role",
    "RoleGrant",
    "Town",
]
