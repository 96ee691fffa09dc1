"""Importing a community's property register (房产登记册): compounds, buildings, dwellings.

Dwellings and their areas decide owners' votes, so an import is all or nothing: every
row is checked first, every problem is reported with its line, and only a clean register
is written — in one transaction, with one trace entry.
"""

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import trace
from ..models import Building, Community, Compound, Dwelling
from ..models.places import AreaSource, normalize_entrance
from ..phones import normalize_phone
from .people import ensure_community_groups

COLUMNS = (
    "compound",
    "building",
    "entrance",
    "floor",
    "number",
    "registered_area",
    "area_source",
    "owner_name",
    "owner_phone",
    "developer_held",
    "delivered",
)
# The fields an import sets; a dwelling whose fields all match its row is left alone.
DWELLING_FIELDS = [
    "floor",
    "registered_area",
    "area_source",
    "owner_name",
    "owner_phone",
    "developer_held",
    "delivered",
]
AREA_SOURCES = {
    "registered": AreaSource.REGISTERED,
    "不动产登记": AreaSource.REGISTERED,
    "登记": AreaSource.REGISTERED,
    "surveyed": AreaSource.SURVEYED,
    "测绘": AreaSource.SURVEYED,
    "实测": AreaSource.SURVEYED,
    "contract": AreaSource.CONTRACT,
    "合同": AreaSource.CONTRACT,
    "购房合同": AreaSource.CONTRACT,
}
YES = {"true", "yes", "y", "1", "是"}
NO = {"false", "no", "n", "0", "否"}
AREA_PATTERN = re.compile(r"-?\d+(?:\.\d+)?")
FLOOR_PATTERN = re.compile(r"-?\d+")
CENT = Decimal("0.01")
# Dwelling.registered_area holds 10 digits, 2 of them after the point.
AREA_LIMIT = Decimal(10) ** 8
LOWEST_FLOOR, HIGHEST_FLOOR = -10, 200
BATCH_SIZE = 500
MAX_LENGTHS = {
    "compound": Compound._meta.get_field("name").max_length,
    "building": Building._meta.get_field("name").max_length,
    **{
        name: Dwelling._meta.get_field(name).max_length
        for name in ("entrance", "number", "owner_name")
    },
}
# Marks a row with cells beyond the header, so it is listed with the other bad rows.
EXTRA_CELLS = "_extra"

Key = tuple[str, str, str, str]  # compound, building, entrance, number


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    community: Community
    community_created: bool


class ImportRowsError(Exception):
    """The register cannot be imported; `errors` lists (line number, message) pairs.

    Line 0 stands for the file or the import as a whole rather than one of its lines.
    """

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(errors)
        self.errors = errors


def read_register(path: Path) -> list[dict[str, str]]:
    """The rows of a register in CSV (UTF-8, with or without BOM) or .xlsx (first sheet).

    Each row maps the column names to stripped text and "_line" to its line in the file.
    """
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ImportRowsError(
            [
                (
                    0,
                    _(
                        "Cannot import a “%(suffix)s” file: save the register as CSV (UTF-8) "
                        "or as an Excel workbook (.xlsx)."
                    )
                    % {"suffix": path.suffix or path.name},
                )
            ]
        )
    try:
        lines = _csv_lines(path) if suffix == ".csv" else _xlsx_lines(path)
        return _rows(lines)
    except OSError as exc:
        raise ImportRowsError(
            [
                (
                    0,
                    _("Cannot read %(file)s: %(reason)s")
                    % {"file": path, "reason": exc.strerror or exc},
                )
            ]
        ) from None


def _csv_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportRowsError(
            [
                (
                    line,
                    _(
                        "The file is not UTF-8 text (it may be GBK). In Excel, save it as "
                        "“CSV UTF-8”, or import the .xlsx workbook itself."
                    ),
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        while True:
            # A quoted cell may span lines; a row is known by the line it starts on.
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            yield start, [cell.strip() for cell in cells]
    except csv.Error as exc:
        raise ImportRowsError(
            [(reader.line_num, _("The CSV cannot be read here: %(reason)s") % {"reason": exc})]
        ) from None


def _xlsx_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise
    # A damaged or mislabelled workbook makes openpyxl raise errors of many types.
    except Exception:
        raise ImportRowsError(
            [(0, _("%(file)s is not an Excel workbook (.xlsx) that can be read.") % {"file": path})]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Excel keeps numbers as floats: floor 18.0 and phone 13812345678.0 mean integers.
        return str(int(value))
    return str(value).strip()


def _rows(lines: Iterable[tuple[int, list[str]]]) -> list[dict[str, str]]:
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        raise ImportRowsError([(0, _("The file is empty."))])
    header_line, header = first
    while header and not header[-1]:
        header.pop()
    names = [cell.lower() for cell in header]
    _check_header(header_line, names)
    width = len(names)
    rows = []
    for line, cells in lines:
        if not any(cells):
            continue
        row = dict(zip(names, cells, strict=False))
        row["_line"] = str(line)
        if any(cells[width:]):
            row[EXTRA_CELLS] = "1"
        rows.append(row)
    return rows


def _check_header(line: int, names: list[str]) -> None:
    errors = []
    if "" in names:
        errors.append(
            (line, _("Column %(position)s has no name.") % {"position": names.index("") + 1})
        )
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        errors.append(
            (line, _("Columns named twice: %(columns)s.") % {"columns": ", ".join(duplicates)})
        )
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        errors.append(
            (
                line,
                _("Unknown columns: %(columns)s. The columns are: %(expected)s.")
                % {"columns": ", ".join(unknown), "expected": ",".join(COLUMNS)},
            )
        )
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        errors.append((line, _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}))
    if errors:
        raise ImportRowsError(errors)


def import_dwellings(
    community_name: str,
    rows: list[dict[str, str]],
    *,
    actor=None,
    source: str = "",
    progress: Any = None,
) -> ImportResult:
    """Create or update the community's dwellings from register rows, all or nothing.

    A dwelling is known by compound, building, entrance and number; dwellings of the
    community that are not in the rows are left as they are. Rows without "_line" are
    numbered as if under a header line. `progress` is a callable, or a tqdm-like object
    with `update`, told how many rows were handled as the import goes.
    """
    advance = getattr(progress, "update", progress) or (lambda n: None)
    community_name = (community_name or "").strip()
    if not community_name:
        raise ImportRowsError([(0, _("Give the name of the community."))])
    if len(community_name) > Community._meta.get_field("name").max_length:
        raise ImportRowsError([(0, _("The name of the community is too long."))])
    if not rows:
        raise ImportRowsError([(0, _("There are no dwellings to import."))])
    wanted = _check_rows(rows)

    with transaction.atomic():
        community = Community.objects.filter(name=community_name).first()
        community_created = community is None
        if community is None:
            community = Community.objects.create(name=community_name)
            trace.record(
                actor=actor,
                action="community.created",
                obj=community,
                after={"name": community.name, "by": "import"},
                public=True,
            )
            ensure_community_groups(community)
        known_buildings = set(
            Building.objects.filter(compound__community=community).values_list(
                "compound__name", "name"
            )
        )
        buildings = _buildings(community, {key[:2] for key in wanted})
        existing = {
            (dwelling.building_id, dwelling.entrance, dwelling.number): dwelling
            for dwelling in Dwelling.objects.filter(building__compound__community=community).only(
                "id", "building_id", "entrance", "number", *DWELLING_FIELDS
            )
        }
        to_create: list[Dwelling] = []
        # Updated dwellings grouped by the fields that changed: bulk_update builds one
        # CASE per field and row, so writing unchanged fields would cost several times more.
        to_update: dict[tuple[str, ...], list[Dwelling]] = defaultdict(list)
        before, after = {}, {}
        for key, values in wanted.items():
            building = buildings[key[:2]]
            dwelling = existing.get((building.pk, key[2], key[3]))
            if dwelling is None:
                to_create.append(
                    Dwelling(building=building, entrance=key[2], number=key[3], **values)
                )
                continue
            changed = [name for name in DWELLING_FIELDS if getattr(dwelling, name) != values[name]]
            if changed:
                label = " ".join(part for part in key if part)
                before[label] = {name: getattr(dwelling, name) for name in changed}
                after[label] = {name: values[name] for name in changed}
                for name in changed:
                    setattr(dwelling, name, values[name])
                to_update[tuple(changed)].append(dwelling)
        updated = sum(len(dwellings) for dwellings in to_update.values())
        unchanged = len(wanted) - len(to_create) - updated
        advance(unchanged)
        for batch in _batches(to_create):
            Dwelling.objects.bulk_create(batch)
            advance(len(batch))
        for fields, dwellings in to_update.items():
            for batch in _batches(dwellings):
                Dwelling.objects.bulk_update(batch, fields)
                advance(len(batch))
        result = ImportResult(
            created=len(to_create),
            updated=updated,
            unchanged=unchanged,
            community=community,
            community_created=community_created,
        )
        if to_create or updated:
            trace.record(
                actor=actor,
                action="dwellings.imported",
                obj=community,
                before={"updated_dwellings": before},
                after={
                    "file": source,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "community_created": community_created,
                    "new_buildings": [
                        f"{compound} {building}"
                        for compound, building in sorted(buildings.keys() - known_buildings)
                    ],
                    # Lets an auditor check a register file against what was imported.
                    "register_sha256": register_digest(wanted),
                    "updated_dwellings": after,
                },
            )
    return result


def register_digest(wanted: dict[Key, dict[str, Any]]) -> str:
    """A fingerprint of the checked register: the same dwellings, areas and owners give
    the same digest, however the file was laid out."""
    canonical = json.dumps(
        sorted(
            [list(key), {name: str(value) for name, value in sorted(values.items())}]
            for key, values in wanted.items()
        ),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _batches(items: list[Dwelling]) -> Iterator[list[Dwelling]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _buildings(
    community: Community, names: set[tuple[str, str]]
) -> dict[tuple[str, str], Building]:
    """The community's buildings by (compound name, building name), creating missing ones."""
    compounds = {compound.name: compound for compound in community.compounds.all()}
    new_compounds = sorted({compound for compound, _building in names} - compounds.keys())
    if new_compounds:
        Compound.objects.bulk_create(
            [Compound(community=community, name=name) for name in new_compounds]
        )
        compounds = {compound.name: compound for compound in community.compounds.all()}

    def known() -> dict[tuple[str, str], Building]:
        return {
            (building.compound.name, building.name): building
            for building in Building.objects.filter(compound__community=community).select_related(
                "compound"
            )
        }

    buildings = known()
    new_buildings = sorted(names - buildings.keys())
    if new_buildings:
        Building.objects.bulk_create(
            [Building(compound=compounds[compound], name=name) for compound, name in new_buildings]
        )
        buildings = known()
    return buildings


def _check_rows(rows: list[dict[str, str]]) -> dict[Key, dict[str, Any]]:
    """Every row checked; the dwellings' values by key, or ImportRowsError with every problem."""
    errors: list[tuple[int, str]] = []
    wanted: dict[Key, dict[str, Any]] = {}
    first_line: dict[Key, int] = {}
    for index, row in enumerate(rows):
        line = int(row.get("_line") or index + 2)
        row_errors: list[str] = []
        if row.get(EXTRA_CELLS):
            row_errors.append(_("This row has more cells than the header has columns."))
        key = _key(row, row_errors)
        values = {
            "floor": _floor(row.get("floor", ""), row_errors),
            "registered_area": _area(row.get("registered_area", ""), row_errors),
            "area_source": _area_source(row.get("area_source", ""), row_errors),
            "owner_name": _text(row, "owner_name", row_errors),
            "owner_phone": _phone(row.get("owner_phone", ""), row_errors),
            "developer_held": _boolean(row, "developer_held", False, row_errors),
            "delivered": _boolean(row, "delivered", True, row_errors),
        }
        if key is not None and key in first_line:
            row_errors.append(
                _("The same dwelling is already on line %(line)s.") % {"line": first_line[key]}
            )
        elif key is not None:
            first_line[key] = line
        if row_errors:
            errors.extend((line, message) for message in row_errors)
        elif key is not None:
            wanted[key] = values
    if errors:
        raise ImportRowsError(errors)
    return wanted


def _text(row: dict[str, str], name: str, errors: list[str]) -> str:
    value = (row.get(name) or "").strip()
    if len(value) > MAX_LENGTHS[name]:
        errors.append(
            _("The %(column)s is longer than %(limit)s characters.")
            % {"column": name, "limit": MAX_LENGTHS[name]}
        )
    return value


def _key(row: dict[str, str], errors: list[str]) -> Key | None:
    compound, building, entrance, number = (
        _text(row, name, errors) for name in ("compound", "building", "entrance", "number")
    )
    if not compound:
        errors.append(_("The compound is missing."))
    if not building:
        errors.append(_("The building is missing."))
    if not number:
        errors.append(_("The number of the dwelling is missing."))
    if compound and building and number:
        return compound, building, normalize_entrance(entrance), number
    return None


def _floor(text: str, errors: list[str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not FLOOR_PATTERN.fullmatch(text) or not LOWEST_FLOOR <= int(text) <= HIGHEST_FLOOR:
        errors.append(
            _("The floor “%(value)s” is not a whole number from %(lowest)s to %(highest)s.")
            % {"value": text, "lowest": LOWEST_FLOOR, "highest": HIGHEST_FLOOR}
        )
        return None
    return int(text)


def _area(text: str, errors: list[str]) -> Decimal | None:
    text = text.strip()
    if not text:
        errors.append(_("The registered area is missing."))
        return None
    if not AREA_PATTERN.fullmatch(text):
        errors.append(_("The area “%(value)s” is not a number of m².") % {"value": text})
        return None
    area = Decimal(text)
    if area <= 0:
        errors.append(_("The area must be more than 0, not %(value)s.") % {"value": text})
    elif area >= AREA_LIMIT:
        errors.append(_("The area %(value)s m² is too large.") % {"value": text})
    elif area != area.quantize(CENT):
        errors.append(_("The area %(value)s has more than 2 decimal places.") % {"value": text})
    else:
        return area.quantize(CENT)
    return None


def _area_source(text: str, errors: list[str]) -> str:
    text = text.strip()
    if not text:
        return AreaSource.REGISTERED
    source = AREA_SOURCES.get(text.lower())
    if source is None:
        errors.append(
            _(
                "Unknown area source “%(value)s”: use registered, surveyed or contract "
                "(不动产登记, 测绘, 合同)."
            )
            % {"value": text}
        )
        return ""
    return source


def _boolean(row: dict[str, str], name: str, default: bool, errors: list[str]) -> bool:
    text = (row.get(name) or "").strip().lower()
    if not text:
        return default
    if text in YES:
        return True
    if text in NO:
        return False
    errors.append(
        _("%(column)s “%(value)s” is not yes or no: use yes/no, true/false, 1/0 or 是/否.")
        % {"column": name, "value": row[name].strip()}
    )
    return default


def _phone(text: str, errors: list[str]) -> str:
    """A mainland mobile number in E.164 form (+86…), as accounts are keyed by it."""
    if not text.strip():
        return ""
    try:
        return normalize_phone(text)
    except ValidationError:
        errors.append(
            _("The owner's phone “%(value)s” is not a mobile number, such as 13812345678.")
            % {"value": text.strip()}
        )
        return ""
