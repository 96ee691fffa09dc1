"""Which community an object belongs to: the unit of staff permissions and of the trace."""

from django.db import models

from .meetings import Council, Meeting
from .pacts import Pact
from .people import Membership, Role
from .places import Building, Community, Compound, Dwelling
from .topics import CatalogEntry, Comment, Topic


def community_id_of(obj: models.Model) -> int | None:
    """The community of a place, membership, role or topic; None for objects of no
    community."""
    if isinstance(obj, Community):
        return obj.pk
    if isinstance(obj, Compound | Role | Topic | CatalogEntry | Council | Meeting | Pact):
        return obj.community_id
    if isinstance(obj, Building):
        return obj.compound.community_id
    if isinstance(obj, Dwelling):
        return obj.building.compound.community_id
    if isinstance(obj, Membership):
        return obj.dwelling.building.compound.community_id
    if isinstance(obj, Comment):
        return obj.topic.community_id
    meeting = getattr(obj, "meeting", None)
    if isinstance(meeting, Meeting):
        return meeting.community_id
    pact = getattr(obj, "pact", None)
    if isinstance(pact, Pact):
        return pact.community_id
    council = getattr(obj, "council", None)
    if isinstance(council, Council):
        return council.community_id
    return None
