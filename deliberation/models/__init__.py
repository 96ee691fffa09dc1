from .people import Membership, Role, RoleGroup, User
from .places import Building, Community, Compound, Dwelling
from .scope import community_id_of
from .trace import TraceEntry, TraceHead

__all__ = [
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
