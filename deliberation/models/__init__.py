from .people import Membership, Role, RoleGroup, User
from .places import Building, Community, Compound, Dwelling
from .scope import community_id_of
from .topics import (
    CatalogEntry,
    Comment,
    CommentReport,
    Evaluation,
    Follow,
    Level,
    Notification,
    ProgressUpdate,
    Signature,
    Topic,
)
from .trace import TraceEntry, TraceHead

__all__ = [
    "CatalogEntry",
    "Comment",
    "CommentReport",
    "Evaluation",
    "Follow",
    "Level",
    "Notification",
    "ProgressUpdate",
    "Signature",
    "Topic",
    "Building",
    "Community",
    "Compound",
    "Dwelling",
    "Membership",
    "Role",
    "RoleGroup",
    "TraceEntry",
    "TraceHead",
    "User",
    "community_id_of",
]
