"""The auditors' recount: worked examples of the owners' rules and their exact
boundaries, through the real command and two CSV files, and bad input refused line by
line with exit status 2.

No test here has the django_db mark: pytest-django then fails any test that touches the
database, so every test of this module also checks that the recount never does.
"""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from polls.recount import RECOUNT_KEYS

DATA = Path(__file__).parent / "data" / "recount"
HEADER = "dwelling,owner,registered_area,surveyed_area,contract_area,developer_held,delivered"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def register(tmp_path: Path, rows: list[str], name: str = "register.csv") -> Path:
    return write(tmp_path / name, HEADER, rows)


def ballots(tmp_path: Path, rows: list[str], name: str = "ballots.csv") -> Path:
    return write(tmp_path / name, "dwelling,choice", rows)


def owners(areas: list[str]) -> list[str]:
    """One dwelling per owner: dwelling D1 of owner o1 with the first area, and so on."""
    return [f"D{n},o{n},{area},,,no,yes" for n, area in enumerate(areas, start=1)]


def recount(capsys, register_file: Path, ballots_file: Path, rule="owners_ordinary") -> dict:
    call_command(
        "recount",
        "--register",
        str(register_file),
        "--ballots",
        str(ballots_file),
        "--rule",
        rule,
        "--json",
    )
    figures = json.loads(capsys.readouterr().out)  # one JSON object and nothing else
    assert tuple(figures) == RECOUNT_KEYS
    return figures


def refusal(capsys, register_file: Path, ballots_file: Path, rule="owners_ordinary") -> str:
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "recount",
            "--register",
            str(register_file),
            "--ballots",
            str(ballots_file),
            "--rule",
            rule,
            "--json",
        )
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def figures(rule, owners_total, area_total, participating, area_part, yes, area_yes, quorum, ok):
    return {
        "rule": rule,
        "owners_total": owners_total,
        "area_total": area_total,
        "owners_participating": participating,
        "area_participating": area_part,
        "owners_yes": yes,
        "area_yes": area_yes,
        "quorum_met": quorum,
        "passed": ok,
    }


@pytest.mark.parametrize(
    ("ballots_file", "rule", "expected"),
    [
        (
            "example1.ballots.csv",
            "owners_ordinary",
            figures("owners_ordinary", 6, "600.00", 4, "400.00", 3, "300.00", True, True),
        ),
        (
            "example1.ballots.csv",
            "owners_special",
            figures("owners_special", 6, "600.00", 4, "400.00", 3, "300.00", True, True),
        ),
        (
            "example2.ballots.csv",
            "owners_ordinary",
            figures("owners_ordinary", 6, "600.00", 4, "400.00", 3, "300.00", True, True),
        ),
        (
            "example2.ballots.csv",
            "owners_special",
            figures("owners_special", 6, "600.00", 4, "400.00", 3, "300.00", True, True),
        ),
        (
            "example3.ballots.csv",
            "owners_ordinary",
            figures("owners_ordinary", 6, "600.00", 4, "400.00", 2, "200.00", True, False),
        ),
    ],
)
def test_worked_examples_one_to_three(capsys, ballots_file, rule, expected):
    result = recount(capsys, DATA / "six_owners.register.csv", DATA / ballots_file, rule)
    assert result == expected


@pytest.mark.parametrize(
    ("rule", "passed"),
    [("owners_ordinary", True), ("owners_special", False)],  # special: 4 of 6 owners < 3/4
)
def test_worked_example_four_the_developer_counts_as_one_owner(capsys, rule, passed):
    result = recount(capsys, DATA / "example4.register.csv", DATA / "example4.ballots.csv", rule)
    # 10 dwellings, 8 owners; the developer's one ballot carries its 3 dwellings' area.
    assert result == figures(rule, 8, "1000.00", 6, "800.00", 4, "600.00", True, passed)


@pytest.mark.parametrize(
    ("rule", "passed"),
    [("owners_ordinary", True), ("owners_special", False)],
)
def test_worked_example_five_a_buyer_of_two_dwellings_votes_once_with_both_areas(
    capsys, rule, passed
):
    result = recount(capsys, DATA / "example5.register.csv", DATA / "example5.ballots.csv", rule)
    # 9 dwellings, 8 owners; 王芳's ballot for 1-202 carries 1-201 too (75.25 + 120.25).
    assert result == figures(rule, 8, "870.00", 6, "663.50", 4, "484.50", True, passed)


def test_quorum_at_exactly_two_thirds_of_the_area_but_one_owner_short_fails(capsys, tmp_path):
    reg = register(tmp_path, owners(["200.00", "200.00", "200.00", "100.00", "100.00", "100.00"]))
    result = recount(capsys, reg, ballots(tmp_path, ["D1,yes", "D2,yes", "D3,yes"]))
    assert result["area_participating"] == "600.00" and result["area_total"] == "900.00"
    assert result["owners_participating"] == 3  # 3 of 6 < 2/3: 4 needed
    assert result["quorum_met"] is False and result["passed"] is False


def test_quorum_one_hundredth_of_a_square_metre_short_of_two_thirds_fails(capsys, tmp_path):
    reg = register(tmp_path, owners(["100.00", "100.00", "100.00", "99.99", "100.00", "100.01"]))
    result = recount(capsys, reg, ballots(tmp_path, ["D1,yes", "D2,yes", "D3,yes", "D4,yes"]))
    assert result["area_participating"] == "399.99" and result["area_total"] == "600.00"
    assert result["owners_participating"] == 4  # 4 of 6 owners: that part is met
    assert result["quorum_met"] is False and result["passed"] is False


def test_quorum_at_exactly_two_thirds_of_area_and_owners_is_met(capsys, tmp_path):
    reg = register(tmp_path, owners(["100.00", "100.00", "100.00", "100.01", "100.00", "99.99"]))
    result = recount(capsys, reg, ballots(tmp_path, ["D1,yes", "D2,yes", "D3,yes", "D4,no"]))
    assert result["area_participating"] == "400.01"
    assert result["quorum_met"] is True


def test_ordinary_matter_with_exactly_half_of_the_area_agreeing_fails(capsys, tmp_path):
    reg = register(tmp_path, owners(["75.00"] * 4 + ["150.00"] * 2))
    votes = ["D1,yes", "D2,yes", "D3,yes", "D4,yes", "D5,no", "D6,no"]
    result = recount(capsys, reg, ballots(tmp_path, votes))
    assert result["owners_yes"] == 4  # 4 of 6 owners: more than half
    assert (result["area_yes"], result["area_participating"]) == ("300.00", "600.00")
    assert result["quorum_met"] is True and result["passed"] is False  # 过半数 excludes 1/2


def test_ordinary_matter_one_hundredth_above_half_of_the_area_passes(capsys, tmp_path):
    reg = register(tmp_path, owners(["75.00"] * 3 + ["75.01", "150.00", "149.99"]))
    votes = ["D1,yes", "D2,yes", "D3,yes", "D4,yes", "D5,no", "D6,no"]
    result = recount(capsys, reg, ballots(tmp_path, votes))
    assert result["area_yes"] == "300.01" and result["passed"] is True


def test_special_matter_at_exactly_three_quarters_passes(capsys, tmp_path):
    reg = register(tmp_path, owners(["100.00"] * 8))
    votes = [f"D{n},yes" for n in range(1, 7)] + ["D7,no", "D8,abstain"]
    result = recount(capsys, reg, ballots(tmp_path, votes), rule="owners_special")
    assert (result["owners_yes"], result["owners_participating"]) == (6, 8)
    assert (result["area_yes"], result["area_participating"]) == ("600.00", "800.00")
    assert result["passed"] is True  # 以上 includes 3/4


def test_special_matter_one_hundredth_short_of_three_quarters_fails(capsys, tmp_path):
    reg = register(tmp_path, owners(["100.00"] * 5 + ["99.99", "100.01", "100.00"]))
    votes = [f"D{n},yes" for n in range(1, 7)] + ["D7,no", "D8,abstain"]
    result = recount(capsys, reg, ballots(tmp_path, votes), rule="owners_special")
    assert (result["owners_yes"], result["owners_participating"]) == (6, 8)
    assert (result["area_yes"], result["area_participating"]) == ("599.99", "800.00")
    assert result["quorum_met"] is True and result["passed"] is False


def test_developer_and_buyer_of_several_dwellings_each_count_once(capsys, tmp_path):
    reg = register(
        tmp_path,
        [
            "A1,o1,90.00,,,no,yes",
            "A2,o2,90.00,,,no,yes",
            "A3,o2,60.50,,,no,yes",  # o2 owns A2 and A3
            "A4,o2,45.25,,,no,yes",  # and A4
            "A5,o5,90.00,,,no,yes",
            "U1,,80.00,,,yes,",  # unsold
            "U2,,70.00,,,yes,no",
        ],
    )
    result = recount(capsys, reg, ballots(tmp_path, ["A3,no", "U2,yes", "A1,yes"]))
    # Owners: o1, o2, o5 and the developer = 4; the developer carries 150, o2 carries 195.75.
    assert result["owners_total"] == 4 and result["area_total"] == "525.75"
    assert result["owners_participating"] == 3 and result["area_participating"] == "435.75"
    assert result["owners_yes"] == 2 and result["area_yes"] == "240.00"


def test_two_ballots_with_the_same_choice_for_one_owners_dwellings_count_once(capsys, tmp_path):
    reg = register(
        tmp_path, ["A1,o1,90.00,,,no,yes", "A2,o1,60.00,,,no,yes", "B1,o2,100.00,,,no,yes"]
    )
    result = recount(capsys, reg, ballots(tmp_path, ["A1,yes", "A2,同意"]))
    assert result["owners_participating"] == 1 and result["area_participating"] == "150.00"
    assert result["owners_yes"] == 1 and result["area_yes"] == "150.00"


def test_a_dwelling_sold_but_not_delivered_counts_with_the_developer(capsys, tmp_path):
    reg = register(
        tmp_path,
        [
            "A1,o1,100.00,,,no,yes",
            "A2,o2,100.00,,,no,yes",
            "S1,buyer,80.00,,,no,no",  # sold to "buyer", not delivered
            "U1,,70.00,,,yes,yes",
        ],
    )
    result = recount(capsys, reg, ballots(tmp_path, ["U1,yes", "A1,yes"]))
    assert result["owners_total"] == 3  # o1, o2 and the developer with S1 and U1
    assert result["owners_participating"] == 2 and result["area_participating"] == "250.00"


def test_surveyed_then_contract_area_stand_in_for_a_missing_registered_area(capsys, tmp_path):
    reg = register(
        tmp_path,
        [
            "A1,o1,100.00,90.00,80.00,no,yes",
            "A2,o2,,91.50,80.00,no,yes",
            "A3,o3,,,82.25,no,yes",
        ],
    )
    result = recount(capsys, reg, ballots(tmp_path, ["A2,yes", "A3,no"]))
    assert result["area_total"] == "273.75"
    assert (result["area_participating"], result["area_yes"]) == ("173.75", "91.50")


def test_chinese_choices_and_flags_are_understood(capsys, tmp_path):
    reg = register(
        tmp_path,
        [
            "A1,o1,100.00,,,否,是",
            "A2,o2,100.00,,,FALSE,TRUE",
            "A3,o3,100.00,,,0,1",
            "A4,,100.00,,,是,否",
        ],
    )
    votes = ["A1,同意", "A2,反对", "A3,弃权", "A4,废票"]
    result = recount(capsys, reg, ballots(tmp_path, votes))
    assert result["owners_total"] == 4 and result["owners_participating"] == 4
    assert result["owners_yes"] == 1


def test_a_spoiled_ballot_counts_as_taking_part(capsys, tmp_path):
    reg = register(tmp_path, owners(["100.00"] * 6))
    result = recount(capsys, reg, ballots(tmp_path, ["D1,yes", "D2,yes", "D3,yes", "D4,spoiled"]))
    # Without the spoiled ballot 3 of 6 owners would not reach the quorum.
    assert result["owners_participating"] == 4 and result["area_participating"] == "400.00"
    assert result["quorum_met"] is True and result["passed"] is True


def test_a_register_with_a_byte_order_mark_is_read(capsys, tmp_path):
    reg = tmp_path / "register.csv"
    reg.write_text(HEADER + "\nA1,o1,100.00,,,no,yes\n", encoding="utf-8-sig")
    result = recount(capsys, reg, ballots(tmp_path, ["A1,yes"]))
    assert result["owners_yes"] == 1


def test_the_recount_never_touches_the_database(capsys):
    # No django_db mark: pytest-django raises on any database access from this test.
    result = recount(capsys, DATA / "six_owners.register.csv", DATA / "example1.ballots.csv")
    assert result["passed"] is True


def test_without_json_a_readable_summary_is_printed(capsys):
    call_command(
        "recount",
        "--register",
        str(DATA / "six_owners.register.csv"),
        "--ballots",
        str(DATA / "example3.ballots.csv"),
        "--rule",
        "owners_ordinary",
    )
    out = capsys.readouterr().out
    assert "Taking part: 4 owners, holding 400.00 m²" in out
    assert "not passed" in out


# Bad input: exit status 2, every problem with its file and line, and nothing counted.

GOOD_REGISTER = owners(["100.00"] * 4)


@pytest.mark.parametrize(
    ("register_rows", "ballot_rows", "where", "says"),
    [
        (GOOD_REGISTER, ["D1,yes", "X9,no"], "ballots.csv:3:", "X9 is not in the register"),
        (GOOD_REGISTER, ["D1,yes", "D1,yes"], "ballots.csv:3:", "second ballot for dwelling D1"),
        (
            ["A1,a1,90.00,,,no,yes", "A2,a1,60.00,,,no,yes", *GOOD_REGISTER],
            ["A1,yes", "D1,no", "A2,no"],
            "ballots.csv:4:",
            "Conflicting choices from one owner",
        ),
        (GOOD_REGISTER, ["D1,maybe"], "ballots.csv:2:", "Unknown choice “maybe”"),
        (GOOD_REGISTER, ["D1,"], "ballots.csv:2:", "The choice is missing"),
        (["D1,o1,,,,no,yes"], ["D1,yes"], "register.csv:2:", "The area is missing"),
        (["D1,o1,0,,,no,yes"], ["D1,yes"], "register.csv:2:", "must be more than 0"),
        (["D1,o1,-5.00,,,no,yes"], ["D1,yes"], "register.csv:2:", "must be more than 0"),
        (["D1,o1,九十,,,no,yes"], ["D1,yes"], "register.csv:2:", "is not a number of m²"),
        (['D1,o1,"1,200.00",,,no,yes'], ["D1,yes"], "register.csv:2:", "is not a number"),
        (["D1,o1,90.005,,,no,yes"], ["D1,yes"], "register.csv:2:", "more than 2 decimal"),
        (["D1,o1,1,200.00,,,no,yes"], ["D1,yes"], "register.csv:2:", "more cells than"),
        (["D1,o1,abc,90.00,,no,yes"], ["D1,yes"], "register.csv:2:", "registered_area “abc”"),
        (
            [*GOOD_REGISTER, "D2,o9,50.00,,,no,yes"],
            ["D1,yes"],
            "register.csv:6:",
            "D2 is listed twice (first on line 3)",
        ),
        (["D1,,100.00,,,no,yes"], ["D1,yes"], "register.csv:2:", "The owner is missing"),
        (["D1,o1,100.00,,,maybe,yes"], ["D1,yes"], "register.csv:2:", "developer_held “maybe”"),
        ([], ["D1,yes"], "register.csv:", "no dwellings"),
    ],
)
def test_bad_input_is_refused_with_file_and_line(
    capsys, tmp_path, register_rows, ballot_rows, where, says
):
    err = refusal(capsys, register(tmp_path, register_rows), ballots(tmp_path, ballot_rows))
    problem = next(line for line in err.splitlines() if where in line)
    assert says in problem


def test_missing_columns_are_named_with_the_header_line(capsys, tmp_path):
    reg = write(tmp_path / "register.csv", "dwelling,owner,registered_area", ["D1,o1,90.00"])
    votes = write(tmp_path / "ballots.csv", "dwelling,vote", ["D1,yes"])
    err = refusal(capsys, reg, votes)
    assert "register.csv:1: Missing columns: surveyed_area, contract_area" in err
    assert "ballots.csv:1: Missing columns: choice" in err


def test_an_unreadable_file_is_named(capsys, tmp_path):
    err = refusal(capsys, tmp_path / "nowhere.csv", ballots(tmp_path, ["D1,yes"]))
    assert "nowhere.csv: Cannot read the file" in err


def test_a_file_that_is_not_utf8_is_refused_with_its_line(capsys, tmp_path):
    reg = tmp_path / "register.csv"
    reg.write_bytes((HEADER + "\nD1,o1,90.00,,,no,yes\nD2,张三,90.00,,,no,yes\n").encode("gbk"))
    err = refusal(capsys, reg, ballots(tmp_path, ["D1,yes"]))
    assert "register.csv:3: The file is not UTF-8 text" in err


def test_an_unknown_rule_set_is_refused(capsys, tmp_path):
    err = refusal(
        capsys,
        register(tmp_path, GOOD_REGISTER),
        ballots(tmp_path, ["D1,yes"]),
        rule="simple_majority",
    )
    assert "Unknown rule set “simple_majority”" in err


def test_every_problem_of_both_files_is_listed_at_once(capsys, tmp_path):
    reg = register(tmp_path, ["D1,o1,100.00,,,no,yes", "D2,o2,-1,,,no,yes", "D3,,9,,,no,yes"])
    votes = ballots(tmp_path, ["D1,yes", "D9,no", "D1,no", "D2,perhaps"])
    err = refusal(capsys, reg, votes)
    for where in ("register.csv:3:", "register.csv:4:", "ballots.csv:3:", "ballots.csv:4:"):
        assert where in err
    assert "ballots.csv:5: Unknown choice “perhaps”" in err
