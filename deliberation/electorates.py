"""The electorates deliberation offers the voting engine: owners of the dwellings of a
compound, a building or one entrance of a building, and the verified residents or
households of a place. Each is named by a key stored with the poll
("owners:building:12", "owners:building:12:2" for entrance 2 of building 12,
"households:compound:3", "residents:community:1"), and read from the register at the
moment it is called."""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Case, QuerySet, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from polls.electorate import DwellingRecord, Head, owner_heads

from .models import Building, Community, Compound, Dwelling, Membership

KINDS = ("owners", "households", "residents")
PLACES = {"community": Community, "compound": Compound, "building": Building}
DWELLING_PLACE = {
    "community": "building__compound__community_id",
    "compound": "building__compound_id",
    "building": "building_id",
}


class UnknownElectorate(ValueError):
    pass


def electorate_key(kind: str, place, entrance: str = "") -> str:
    level = type(place).__name__.lower()
    key = f"{kind}:{level}:{place.pk}"
    return f"{key}:{entrance}" if entrance else key


def parse(key: str) -> tuple[str, str, int, str]:
    """(kind, level, place id, entrance) of an electorate key."""
    parts = key.split(":")
    try:
        kind, level, pk, entrance = (parts + [""])[:4]
        if kind not in KINDS or level not in PLACES:
            raise ValueError
        return kind, level, int(pk), entrance
    except ValueError:
        raise UnknownElectorate(_("Unknown electorate: %(key)s") % {"key": key}) from None


def _place_filter(key: str, prefix: str = "") -> dict:
    """The filter that picks an electorate's dwellings, from dwellings (prefix "") or
    from rows that point to a dwelling (prefix "dwelling__"): one flat join, never an
    IN over a subquery, which PostgreSQL may plan badly on young tables."""
    _kind, level, pk, entrance = parse(key)
    where = {prefix + DWELLING_PLACE[level]: pk}
    if entrance:
        where[prefix + "entrance"] = entrance
    return where


def dwellings_of(key: str) -> QuerySet[Dwelling]:
    return Dwelling.objects.filter(**_place_filter(key))


def heads(key: str) -> list[Head]:
    """The voters of an electorate, labelled in the site's language whoever asks."""
    with translation.override(settings.LANGUAGE_CODE):
        return _heads(key)


def _heads(key: str) -> list[Head]:
    kind = parse(key)[0]
    dwellings = dwellings_of(key).select_related("building__compound", "owner").order_by("pk")
    if kind == "owners":
        return owner_heads(_records(dwellings))
    verified = Membership.objects.filter(
        **_place_filter(key, "dwelling__"), status=Membership.Status.VERIFIED
    ).select_related("user", "dwelling__building__compound")
    if kind == "households":
        # A household votes through one representative: its owner (or the co-owners'
        # representative) if verified here, else the verified member who claimed it first.
        represents = Case(
            When(
                kind__in=[Membership.Kind.OWNER, Membership.Kind.CO_OWNER_REPRESENTATIVE],
                then=Value(0),
            ),
            default=Value(1),
        )
        households: dict[int, Head] = {}
        for membership in verified.order_by("dwelling_id", represents, "pk"):
            dwelling = membership.dwelling
            households.setdefault(
                dwelling.pk,
                Head(
                    key=f"household:{dwelling.pk}",
                    label=str(dwelling),
                    dwellings=[str(dwelling)],
                    user_id=membership.user_id,
                ),
            )
        return list(households.values())
    people: dict[int, Head] = {}
    for membership in verified.order_by("user_id", "pk"):
        head = people.setdefault(
            membership.user_id,
            Head(
                key=f"person:{membership.user_id}",
                label=str(membership.user),
                user_id=membership.user_id,
            ),
        )
        head.dwellings.append(str(membership.dwelling))
    return list(people.values())


def _records(dwellings: Iterable[Dwelling]) -> Iterable[DwellingRecord]:
    """Owners are keyed by a mobile number: their account's when a verified owner is
    linked, else the one of record, so one owner's dwellings stay together whether or not
    each is linked yet; a dwelling with neither stands alone. Two people who share a
    name are never merged."""
    for dwelling in dwellings:
        phone = dwelling.owner.phone if dwelling.owner_id else dwelling.owner_phone
        owner_key = f"phone:{phone}" if phone else f"dwelling:{dwelling.pk}"
        yield DwellingRecord(
            key=str(dwelling),
            owner_key=owner_key,
            area=dwelling.registered_area,
            developer_held=dwelling.developer_held,
            delivered=dwelling.delivered,
            label=dwelling.owner_name or str(dwelling),
            user_id=dwelling.owner_id,
        )


def community_id(key: str) -> int | None:
    """The community an electorate belongs to, for permissions and the trace."""
    try:
        _kind, level, pk, _entrance = parse(key)
    except UnknownElectorate:
        return None
    if level == "community":
        return pk
    if level == "compound":
        return Compound.objects.filter(pk=pk).values_list("community_id", flat=True).first()
    return Building.objects.filter(pk=pk).values_list("compound__community_id", flat=True).first()


def place_of(key: str):
    """The community, compound or building whose register an electorate reads."""
    try:
        _kind, level, pk, _entrance = parse(key)
    except UnknownElectorate:
        return None
    model = PLACES[level]
    related = {Compound: ("community",), Building: ("compound__community",)}.get(model, ())
    return model.objects.select_related(*related).filter(pk=pk).first()
