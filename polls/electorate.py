"""Who votes, and with what weight: turning dwellings into the heads of a voter roll.

Owners (最高法 建筑物区分所有权解释 arts. 8–9): one dwelling counts as one owner,
except that every dwelling still held by the developer (unsold, or sold but not
delivered) counts together as one owner, and one buyer of several dwellings in the
scope counts as one owner whose vote carries the sum of their areas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

DEVELOPER_KEY = "developer"


class Group:
    """The counting group of a roll entry."""

    SINGLE = ""
    DEVELOPER = "developer"
    MULTI_DWELLING = "multi_dwelling"


@dataclass(frozen=True)
class DwellingRecord:
    key: str
    owner_key: str
    area: Decimal
    developer_held: bool = False
    delivered: bool = True
    label: str = ""
    user_id: int | None = None

    @property
    def with_developer(self) -> bool:
        return self.developer_held or not self.delivered


@dataclass
class Head:
    """One entry of a voter roll: a person, a household or an owner."""

    key: str
    label: str
    area: Decimal = Decimal("0.00")
    dwellings: list[str] = field(default_factory=list)
    group: str = Group.SINGLE
    user_id: int | None = None


def owner_heads(dwellings: Iterable[DwellingRecord]) -> list[Head]:
    """The owners of `dwellings`, each carrying the area of all their dwellings."""
    heads: dict[str, Head] = {}
    for dwelling in dwellings:
        key = DEVELOPER_KEY if dwelling.with_developer else f"owner:{dwelling.owner_key}"
        head = heads.get(key)
        if head is None:
            label = "开发建设单位" if key == DEVELOPER_KEY else (dwelling.label or dwelling.key)
            head = heads[key] = Head(key=key, label=label)
            if key == DEVELOPER_KEY:
                head.group = Group.DEVELOPER
            else:
                head.user_id = dwelling.user_id
        elif key != DEVELOPER_KEY:
            head.group = Group.MULTI_DWELLING
        head.area += dwelling.area
        head.dwellings.append(dwelling.key)
    return list(heads.values())
