"""Benchmark of `manage.py import_dwellings` on a fresh SQLite database.

    .venv/bin/python bench/import_dwellings.py [--rows 20000] [--seed 1]

Measures, in one run and on one database:
  baseline  the least any import must do: parse the CSV with the csv module and
            bulk_create the dwellings (and their compounds and buildings) in one
            transaction, with no validation, no comparison and no trace. Its rows are
            deleted afterwards so the real import starts from the same empty tables.
  naive     for reference, one Dwelling.objects.create per row in one transaction
            (what a straightforward loop would do), also deleted afterwards.
  import    the management command on the same file into a new community.
  re-import the same file again (nothing changes, nothing is written).
  update    a copy of the file with 10% of the areas changed.

Prints seconds, rows/s and ratios against the baseline. It asserts nothing about time.
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = [
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
]
COMPOUNDS = ["幸福小区", "和平家园", "锦绣花园"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国玉兰红梅志海燕"
SOURCES = ["registered"] * 6 + ["不动产登记", "测绘", "surveyed", "购房合同"]


def register_rows(count: int, rng: random.Random) -> list[dict[str, str]]:
    """A realistic register: towers of 2–4 entrances, 18–33 floors, 2 flats a landing."""
    rows: list[dict[str, str]] = []
    building = 0
    while len(rows) < count:
        building += 1
        compound = COMPOUNDS[building % len(COMPOUNDS)]
        entrances, floors = rng.randint(2, 4), rng.randint(18, 33)
        held_from = floors - rng.choice([0, 0, 1, 2])  # the developer keeps some top floors
        for entrance in range(1, entrances + 1):
            for floor in range(1, floors + 1):
                for flat in (1, 2):
                    held = floor > held_from
                    rows.append(
                        {
                            "compound": compound,
                            "building": f"{building}号楼",
                            "entrance": str(entrance),
                            "floor": str(floor),
                            "number": f"{floor}{flat:02d}",
                            "registered_area": f"{rng.uniform(85, 140):.2f}",
                            "area_source": rng.choice(SOURCES),
                            "owner_name": "" if held else rng.choice(SURNAMES) + rng.choice(GIVEN),
                            "owner_phone": "" if held else f"1{rng.choice('3589')}{len(rows):09d}",
                            "developer_held": "是" if held else "",
                            "delivered": "否" if held else "",
                        }
                    )
    return rows[:count]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


def setup_django(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def baseline(path: Path, community_name: str) -> None:
    """Parse and bulk_create with nothing checked: the floor any import stands on."""
    from django.db import transaction

    from deliberation.models import Building, Community, Compound, Dwelling

    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with transaction.atomic():
        community = Community.objects.create(name=community_name)
        compounds, buildings, dwellings = {}, {}, []
        for row in rows:
            if row["compound"] not in compounds:
                compounds[row["compound"]] = Compound.objects.create(
                    community=community, name=row["compound"]
                )
            key = (row["compound"], row["building"])
            if key not in buildings:
                buildings[key] = Building.objects.create(
                    compound=compounds[row["compound"]], name=row["building"]
                )
            dwellings.append(
                Dwelling(
                    building=buildings[key],
                    entrance=row["entrance"],
                    floor=int(row["floor"]),
                    number=row["number"],
                    registered_area=Decimal(row["registered_area"]),
                    owner_name=row["owner_name"],
                    owner_phone=row["owner_phone"],
                    developer_held=row["developer_held"] == "是",
                    delivered=row["delivered"] != "否",
                )
            )
        Dwelling.objects.bulk_create(dwellings, batch_size=500)


def naive(path: Path, community_name: str) -> None:
    """One ORM create per row, in one transaction."""
    from django.db import transaction

    from deliberation.models import Building, Community, Compound, Dwelling

    with path.open(encoding="utf-8-sig", newline="") as handle, transaction.atomic():
        community = Community.objects.create(name=community_name)
        for row in csv.DictReader(handle):
            compound, _ = Compound.objects.get_or_create(community=community, name=row["compound"])
            building, _ = Building.objects.get_or_create(compound=compound, name=row["building"])
            Dwelling.objects.create(
                building=building,
                entrance=row["entrance"],
                floor=int(row["floor"]),
                number=row["number"],
                registered_area=Decimal(row["registered_area"]),
                owner_name=row["owner_name"],
                owner_phone=row["owner_phone"],
                developer_held=row["developer_held"] == "是",
                delivered=row["delivered"] != "否",
            )


def forget(community_name: str) -> None:
    from django.db import transaction

    from deliberation.models import Building, Community, Compound, Dwelling

    with transaction.atomic():
        Dwelling.objects.filter(building__compound__community__name=community_name).delete()
        Building.objects.filter(compound__community__name=community_name).delete()
        Compound.objects.filter(community__name=community_name).delete()
        Community.objects.filter(name=community_name).delete()


def command(path: Path, community_name: str) -> str:
    from django.core.management import call_command
    from django.utils import translation

    out = io.StringIO()
    with translation.override("en"):
        call_command(
            "import_dwellings", str(path), community=community_name, no_progress=True, stdout=out
        )
    return out.getvalue().strip()


def timed(label: str, action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"  … {label}: {seconds:.2f} s", file=sys.stderr)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-naive", action="store_true", help="skip the slow naive reference")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yishi-bench-") as directory:
        directory = Path(directory)
        print("Migrating a fresh SQLite database …", file=sys.stderr)
        setup_django(directory)
        from deliberation.models import Dwelling

        rng = random.Random(options.seed)
        rows = register_rows(options.rows, rng)
        register = directory / "register.csv"
        write_csv(register, rows)
        for row in rng.sample(rows, len(rows) // 10):
            row["registered_area"] = f"{Decimal(row['registered_area']) + Decimal('0.01'):.2f}"
        changed = directory / "register-changed.csv"
        write_csv(changed, rows)

        results: list[tuple[str, float, str]] = []
        seconds, _ = timed("baseline", lambda: baseline(register, "基线社区"))
        results.append(("baseline: csv + bulk_create, unchecked", seconds, ""))
        forget("基线社区")
        if not options.no_naive:
            seconds, _ = timed("naive", lambda: naive(register, "逐行社区"))
            results.append(("naive: one create() per row", seconds, ""))
            forget("逐行社区")
        for label, path in [
            ("import_dwellings (new community)", register),
            ("import_dwellings again (no change)", register),
            ("import_dwellings, 10% areas changed", changed),
        ]:
            seconds, output = timed(label, lambda path=path: command(path, "幸福里社区"))
            results.append((label, seconds, output.splitlines()[-1]))
        stored = Dwelling.objects.filter(building__compound__community__name="幸福里社区").count()

    base = results[0][1]
    print(f"\n{options.rows:,} rows, SQLite, {os.cpu_count()} CPUs; {stored:,} dwellings stored.")
    print(f"{'':40} {'seconds':>8} {'rows/s':>9} {'× baseline':>11}")
    for label, seconds, _output in results:
        print(f"{label:40} {seconds:8.2f} {options.rows / seconds:9,.0f} {seconds / base:11.2f}")
    print("\nCommand output:")
    for label, _seconds, output in results:
        if output:
            print(f"  {label}: {output}")
    print(
        "\nThe baseline checks nothing and writes no trace; the import also validates every "
        "row,\nnormalises phones, compares with the stored dwellings and records one trace entry."
    )


if __name__ == "__main__":
    main()
