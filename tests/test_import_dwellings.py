import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import translation

from deliberation.models import Building, Community, Compound, Dwelling, TraceEntry
from deliberation.services.imports import COLUMNS, ImportRowsError, import_dwellings

from .factories import DwellingFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
COMMUNITY = "幸福里社区"
GOOD_ROW = {
    "compound": "幸福小区",
    "building": "1号楼",
    "entrance": "1",
    "floor": "3",
    "number": "301",
    "registered_area": "89.5",
    "area_source": "",
    "owner_name": "张伟",
    "owner_phone": "13812345678",
    "developer_held": "",
    "delivered": "",
}


def write_csv(path: Path, rows: list[dict[str, str]], columns=COLUMNS, encoding="utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run_import(path: Path, community: str = COMMUNITY, **options) -> str:
    out = io.StringIO()
    options.setdefault("no_progress", True)
    with translation.override("en"):
        call_command("import_dwellings", str(path), community=community, stdout=out, **options)
    return out.getvalue()


def refused_import(path: Path, community: str = COMMUNITY) -> str:
    with translation.override("en"), pytest.raises(CommandError) as refusal:
        call_command(
            "import_dwellings",
            str(path),
            community=community,
            no_progress=True,
            stdout=io.StringIO(),
        )
    return str(refusal.value)


def db_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Community, Compound, Building, Dwelling, TraceEntry, Group)
    }


def dwelling(compound: str, building: str, entrance: str, number: str) -> Dwelling:
    return Dwelling.objects.get(
        building__compound__name=compound,
        building__name=building,
        entrance=entrance,
        number=number,
    )


def test_register_creates_the_community_its_places_and_dwellings():
    output = run_import(DATA / "register.csv")

    community = Community.objects.get(name=COMMUNITY)
    assert sorted(community.compounds.values_list("name", flat=True)) == ["和平小区", "幸福小区"]
    assert Building.objects.filter(compound__community=community).count() == 3
    assert Dwelling.objects.filter(building__compound__community=community).count() == 5
    assert Group.objects.filter(name__startswith=COMMUNITY).count() == 5
    assert f"Created the community {COMMUNITY}" in output
    assert "dwellings created: 5, updated: 0, unchanged: 0." in output


def test_register_values_are_normalised():
    run_import(DATA / "register.csv")

    first = dwelling("幸福小区", "1号楼", "1", "301")
    assert first.registered_area == Decimal("89.50")
    assert first.area_source == "registered"
    assert first.owner_phone == "+8613812345678"
    assert (first.developer_held, first.delivered) == (False, True)
    surveyed = dwelling("幸福小区", "1号楼", "2", "501")
    assert (surveyed.area_source, surveyed.developer_held, surveyed.floor) == ("surveyed", True, 5)
    contract = dwelling("幸福小区", "2号楼", "", "101")
    assert (contract.area_source, contract.owner_phone) == ("contract", "+8613900001111")
    basement = dwelling("和平小区", "A座", "1", "B01")
    assert (basement.floor, basement.registered_area) == (-1, Decimal("30.50"))
    assert (basement.developer_held, basement.delivered) == (True, False)


def test_import_writes_one_trace_entry_with_the_counts():
    run_import(DATA / "register.csv")

    assert list(TraceEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "community.created",
        "catalog.provisioned",
        "dwellings.imported",
    ]
    entry = TraceEntry.objects.get(action="dwellings.imported")
    assert entry.object_label == COMMUNITY
    assert entry.after["file"] == "register.csv"
    assert (entry.after["created"], entry.after["updated"], entry.after["unchanged"]) == (5, 0, 0)


def test_importing_the_same_file_again_changes_nothing():
    run_import(DATA / "register.csv")
    before = db_counts()

    output = run_import(DATA / "register.csv")

    assert "Nothing to change: 5 dwellings already match." in output
    assert "Created the community" not in output
    assert db_counts() == before


def test_changed_area_is_updated_and_traced(tmp_path):
    rows = [GOOD_ROW, {**GOOD_ROW, "number": "302"}]
    run_import(write_csv(tmp_path / "register.csv", rows))

    changed = [{**GOOD_ROW, "registered_area": "90.12"}, {**GOOD_ROW, "number": "302"}]
    output = run_import(write_csv(tmp_path / "register.csv", changed))

    assert "dwellings created: 0, updated: 1, unchanged: 1." in output
    assert dwelling("幸福小区", "1号楼", "1", "301").registered_area == Decimal("90.12")
    entry = TraceEntry.objects.order_by("-seq").first()
    assert entry.after["updated"] == 1
    assert entry.before["updated_dwellings"] == {
        "幸福小区 1号楼 1 301": {"registered_area": "89.50"}
    }
    assert entry.after["updated_dwellings"] == {
        "幸福小区 1号楼 1 301": {"registered_area": "90.12"}
    }


def test_import_into_an_existing_community_keeps_its_other_dwellings(tmp_path):
    community = Community.objects.create(name=COMMUNITY)
    elsewhere = DwellingFactory(building__compound__community=community)

    output = run_import(write_csv(tmp_path / "register.csv", [GOOD_ROW]))

    assert "Created the community" not in output
    assert Community.objects.count() == 1
    assert Dwelling.objects.filter(building__compound__community=community).count() == 2
    assert Dwelling.objects.filter(pk=elsewhere.pk).exists()


def test_xlsx_register_is_imported(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append(["幸福小区", "1号楼", 1, 3, 301, 89.5, "实测", "张伟", 13812345678, False, True])
    sheet.append(["幸福小区", "1号楼", 1, 3, 302, 120, None, None, None, None, None])
    workbook.save(tmp_path / "register.xlsx")

    output = run_import(tmp_path / "register.xlsx")

    assert "dwellings created: 2," in output
    first = dwelling("幸福小区", "1号楼", "1", "301")
    assert (first.registered_area, first.area_source) == (Decimal("89.50"), "surveyed")
    assert (first.owner_phone, first.floor, first.delivered) == ("+8613812345678", 3, True)
    assert dwelling("幸福小区", "1号楼", "1", "302").registered_area == Decimal("120.00")


def test_xlsx_bad_row_is_reported_with_its_sheet_row(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append(["幸福小区", "1号楼", 1, 3, 301, 89.5])
    sheet.append([])
    sheet.append(["幸福小区", "1号楼", 1, 3, 302, -3])
    workbook.save(tmp_path / "register.xlsx")
    before = db_counts()

    message = refused_import(tmp_path / "register.xlsx")

    assert "line 4: The area must be more than 0, not -3." in message
    assert db_counts() == before


def test_csv_with_excel_bom_is_imported(tmp_path):
    path = write_csv(tmp_path / "register.csv", [GOOD_ROW], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    output = run_import(path)

    assert "dwellings created: 1," in output
    assert dwelling("幸福小区", "1号楼", "1", "301").owner_name == "张伟"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"number": ""}, "The number of the dwelling is missing."),
        ({"compound": ""}, "The compound is missing."),
        ({"building": " "}, "The building is missing."),
        ({"registered_area": ""}, "The registered area is missing."),
        ({"registered_area": "0"}, "The area must be more than 0, not 0."),
        ({"registered_area": "-3"}, "The area must be more than 0, not -3."),
        ({"registered_area": "abc"}, "The area “abc” is not a number of m²."),
        ({"registered_area": "1e2"}, "The area “1e2” is not a number of m²."),
        ({"registered_area": "89.555"}, "The area 89.555 has more than 2 decimal places."),
        ({"registered_area": "123456789"}, "The area 123456789 m² is too large."),
        ({"area_source": "估算"}, "Unknown area source “估算”"),
        ({"floor": "3楼"}, "The floor “3楼” is not a whole number"),
        ({"floor": "2.5"}, "The floor “2.5” is not a whole number"),
        ({"developer_held": "maybe"}, "developer_held “maybe” is not yes or no"),
        ({"delivered": "已交付"}, "delivered “已交付” is not yes or no"),
        ({"owner_phone": "12345"}, "The owner's phone “12345” is not a mobile number"),
        ({"owner_phone": "010-62345678"}, "The owner's phone “010-62345678” is not a mobile"),
        ({"owner_name": "张" * 101}, "The owner_name is longer than 100 characters."),
    ],
)
def test_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, change, reason):
    path = write_csv(tmp_path / "register.csv", [GOOD_ROW, {**GOOD_ROW, "number": "302", **change}])
    before = db_counts()

    message = refused_import(path)

    assert f"line 3: {reason}" in message
    assert "line 2" not in message
    assert db_counts() == before


def test_every_bad_row_is_listed(tmp_path):
    rows = [
        {**GOOD_ROW, "number": "301", "registered_area": "abc"},
        {**GOOD_ROW, "number": "302"},
        {**GOOD_ROW, "number": "303", "floor": "x", "delivered": "maybe"},
        {**GOOD_ROW, "number": "301"},
    ]
    path = write_csv(tmp_path / "register.csv", rows)
    before = db_counts()

    message = refused_import(path)

    assert "Fix these 4 problems" in message
    assert "line 2: The area “abc” is not a number of m²." in message
    assert "line 3" not in message
    assert "line 4: The floor “x” is not a whole number" in message
    assert "line 4: delivered “maybe” is not yes or no" in message
    assert "line 5: The same dwelling is already on line 2." in message
    assert db_counts() == before


def test_same_number_in_another_entrance_is_a_different_dwelling(tmp_path):
    path = write_csv(tmp_path / "register.csv", [GOOD_ROW, {**GOOD_ROW, "entrance": "2"}])

    assert "dwellings created: 2," in run_import(path)


def test_row_with_more_cells_than_the_header_is_refused(tmp_path):
    path = write_csv(tmp_path / "register.csv", [GOOD_ROW])
    path.write_text(path.read_text() + ",".join(GOOD_ROW.values()) + ",note\n")
    before = db_counts()

    message = refused_import(path)

    assert "line 3: This row has more cells than the header has columns." in message
    assert db_counts() == before


def test_quoted_cell_spanning_lines_keeps_the_line_numbers_of_the_file(tmp_path):
    rows = [{**GOOD_ROW, "owner_name": "张伟\n李娜"}, {**GOOD_ROW, "number": "", "owner_name": ""}]
    path = write_csv(tmp_path / "register.csv", rows)

    message = refused_import(path)

    assert "line 4: The number of the dwelling is missing." in message


def test_missing_header_column_is_reported(tmp_path):
    columns = [name for name in COLUMNS if name != "delivered"]
    row = {name: GOOD_ROW[name] for name in columns}
    path = write_csv(tmp_path / "register.csv", [row], columns=columns)
    before = db_counts()

    message = refused_import(path)

    assert "line 1: Missing columns: delivered." in message
    assert db_counts() == before


def test_unknown_header_column_is_reported(tmp_path):
    columns = [*COLUMNS, "remarks"]
    path = write_csv(tmp_path / "register.csv", [{**GOOD_ROW, "remarks": "x"}], columns=columns)

    message = refused_import(path)

    assert "line 1: Unknown columns: remarks." in message
    assert Dwelling.objects.count() == 0


def test_unsupported_extension_is_refused(tmp_path):
    path = tmp_path / "register.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    message = refused_import(path)

    assert "Cannot import a “.xls” file" in message
    assert Community.objects.count() == 0


def test_csv_that_is_not_utf8_is_refused(tmp_path):
    path = write_csv(tmp_path / "register.csv", [GOOD_ROW], encoding="gbk")
    before = db_counts()

    message = refused_import(path)

    assert "line 2: The file is not UTF-8 text" in message
    assert db_counts() == before


def test_missing_file_is_reported(tmp_path):
    message = refused_import(tmp_path / "nowhere.csv")

    assert "Cannot read" in message
    assert Community.objects.count() == 0


def test_damaged_workbook_is_reported(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_text("not a workbook")

    message = refused_import(path)

    assert "is not an Excel workbook (.xlsx) that can be read" in message


def test_empty_file_and_header_only_file_are_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")

    assert "The file is empty." in refused_import(empty)
    assert "There are no dwellings to import." in refused_import(
        write_csv(tmp_path / "header.csv", [])
    )
    assert Community.objects.count() == 0


def test_blank_community_name_is_refused(tmp_path):
    path = write_csv(tmp_path / "register.csv", [GOOD_ROW])

    assert "Give the name of the community." in refused_import(path, community="  ")
    assert Community.objects.count() == 0


@pytest.mark.parametrize(("no_progress", "shown"), [(False, True), (True, False)])
def test_progress_bar_shows_on_stderr_for_large_files_unless_turned_off(
    tmp_path, settings, capsys, no_progress, shown
):
    settings.YISHI_IMPORT_PROGRESS_MIN_ROWS = 2
    rows = [{**GOOD_ROW, "number": str(number)} for number in range(3)]

    run_import(write_csv(tmp_path / "register.csv", rows), no_progress=no_progress)

    assert ("3/3" in capsys.readouterr().err) is shown


def test_service_records_the_actor_and_numbers_rows_without_lines():
    staff = UserFactory()

    result = import_dwellings(COMMUNITY, [GOOD_ROW], actor=staff, source="seed")

    assert (result.created, result.community_created) == (1, True)
    # The new community's default catalog is the system's doing; the rest is the staff's.
    actors = dict(TraceEntry.objects.values_list("action", "actor"))
    assert actors.pop("catalog.provisioned") is None
    assert set(actors.values()) == {staff.pk}
    with translation.override("en"), pytest.raises(ImportRowsError) as refusal:
        import_dwellings(
            COMMUNITY, [GOOD_ROW, {**GOOD_ROW, "number": "302", "registered_area": "x"}]
        )
    assert refusal.value.errors == [(3, "The area “x” is not a number of m².")]


@pytest.mark.parametrize("count", [1, 50])
def test_import_query_count_does_not_grow_with_rows(django_assert_max_num_queries, count):
    Community.objects.create(name=COMMUNITY)
    rows = [{**GOOD_ROW, "number": str(number)} for number in range(count)]

    with django_assert_max_num_queries(18):
        import_dwellings(COMMUNITY, rows)


def test_import_records_the_register_fingerprint_and_new_buildings(tmp_path):
    from deliberation.services.imports import import_dwellings

    rows = [
        {
            "_line": "2",
            "compound": "甲苑",
            "building": "1号楼",
            "entrance": "1",
            "floor": "1",
            "number": "101",
            "registered_area": "88.5",
            "area_source": "",
            "owner_name": "",
            "owner_phone": "",
            "developer_held": "",
            "delivered": "",
        },
    ]
    import_dwellings("指纹社区", rows)
    entry = TraceEntry.objects.get(action="dwellings.imported")
    assert entry.after["new_buildings"] == ["甲苑 1号楼"]
    assert len(entry.after["register_sha256"]) == 64
    assert TraceEntry.objects.get(action="community.created").is_public

    rows[0]["registered_area"] = "88.50"  # the same register, written differently
    rows[0]["entrance"] = "1单元"
    changed = [dict(rows[0], owner_name="王某")]
    import_dwellings("指纹社区", changed)
    second = TraceEntry.objects.filter(action="dwellings.imported").latest("seq")
    assert second.after["register_sha256"] != entry.after["register_sha256"]
    assert second.after["new_buildings"] == []
