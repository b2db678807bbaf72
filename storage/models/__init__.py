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
    "County",
    "Cycle",
    "CycleState",
    "Delivery",
    "DeliveryKind",
    "DeliveryState",
    "Evidence",
    "EvidenceKind",
    "Invite",
    "Person",
    "ProcessedUpdate",
    "ReviewScore",
    "Role",
    "RoleGrant",
    "Town",
]
