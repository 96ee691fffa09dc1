from .people import Membership, Role, User
from .places import Building, Community, Compound, Dwelling
from .trace import TraceEntry, TraceHead

__all__ = [
    "Building",
    "Community",
    "Compound",
    "Dwelling",
    "Membership",
    "Role",
    "TraceEntry",
    "TraceHead",
    "User",
]
