"""Polls in the back office: committees create, prepare, correct, open, count paper
ballots, close and publish; watchers see; other communities see nothing."""

from decimal import Decimal

import pytest

from deliberation import electorates
from deliberation.models import TraceEntry
from deliberation.services import people
from polls import services as engine
from polls.models import Participation, Poll, RollEntry

from .factories import (
    BuildingFactory,
    CompoundFactory,
    DwellingFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    with_totp,
)

pytestmark = pytest.mark.django_db

POLLS = "/admin/polls/"
NEW = "/admin/polls/new/"


@pytest.fixture(autouse=True)
def _english_back_office(settings):
    """Wagtail answers in the staff member's language (the site default); these tests
    read the English wording."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def building(community):
    building = BuildingFactory(compound__community=community, name="3号楼")
    for n in range(4):
        DwellingFactory(
            building=building, entrance="1", number=f"10{n}", registered_area=Decimal("90.00")
        )
    return building


def form_data(building, **overrides) -> dict:
    data = {
        "title": "加装电梯",
        "description": "3号楼一单元加装电梯方案",
        "kind": "owners",
        "place": f"building:{building.pk}",
        "entrance": "",
        "rule_name": "",
        "secrecy": "public",
        "results": "hidden_until_closed",
        "opens_at": "",
        "closes_at": "",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "1",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-kind": "yes_no",
        "questions-0-text": "是否同意加装电梯？",
        "questions-0-options": "",
        "questions-0-max_picks": "",
    }
    data.update(overrides)
    return data


def make_poll(actor, building, **fields) -> Poll:
    return engine.create_poll(
        actor,
        title=fields.pop("title", "更换物业"),
        scope_label=f"{building} · owners",
        electorate=electorates.electorate_key("owners", building),
        rule_name="owners_ordinary",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
        **fields,
    )


def open_poll(actor, poll: Poll) -> Poll:
    return engine.open_poll(actor, poll, electorates.heads(poll.electorate))


def choice(poll: Poll, code: str) -> int:
    return poll.questions.get().options.get(code=code).pk


def poll_actions(poll: Poll) -> list[str]:
    return list(
        TraceEntry.objects.filter(object_type="polls.poll", object_id=str(poll.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# ---------------------------------------------------------------- creating a poll


def test_committee_creates_a_yes_no_poll_of_a_buildings_owners(
    committee_client, committee, building, community
):
    form = committee_client.get(NEW)
    assert form.status_code == 200
    assert f'value="building:{building.pk}"' in form.content.decode()

    response = committee_client.post(NEW, form_data(building))

    poll = Poll.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/polls/{poll.pk}/"
    assert poll.electorate == f"owners:building:{building.pk}"
    assert poll.scope_label == f"{building} · owners"
    assert poll.rule_name == "owners_ordinary"  # suggested for owners
    assert poll.state == Poll.State.DRAFT and poll.created_by == committee
    assert [(q.kind, q.text) for q in poll.questions.all()] == [("yes_no", "是否同意加装电梯？")]
    entry = TraceEntry.objects.get(object_type="polls.poll", action="poll.created")
    assert entry.community == community and entry.actor == committee


def test_households_vote_under_the_residents_meeting_rule_unless_staff_choose(
    committee_client, building
):
    committee_client.post(NEW, form_data(building, kind="households"))
    committee_client.post(NEW, form_data(building, kind="households", rule_name="two_thirds"))

    assert sorted(Poll.objects.values_list("rule_name", flat=True)) == [
        "residents_assembly",
        "two_thirds",
    ]


def test_one_entrance_votes_and_choice_questions_take_options_one_per_line(
    committee_client, building
):
    data = form_data(
        building,
        entrance="一单元",
        **{
            "questions-TOTAL_FORMS": "3",
            "questions-1-kind": "single",
            "questions-1-text": "电梯品牌",
            "questions-1-options": "三菱\n 日立 \n\n奥的斯",
            "questions-2-kind": "multiple",
            "questions-2-text": "停靠楼层",
            "questions-2-options": "1层\n2层\n3层",
            "questions-2-max_picks": "2",
        },
    )

    response = committee_client.post(NEW, data)

    assert response.status_code == 302
    poll = Poll.objects.get()
    assert poll.electorate == f"owners:building:{building.pk}:1"
    assert "entrance 1" in poll.scope_label
    single, multiple = poll.questions.all()[1:]
    assert [o.label for o in single.options.all()] == ["三菱", "日立", "奥的斯"]
    assert (multiple.kind, multiple.min_picks, multiple.max_picks) == ("multiple", 1, 2)


def test_blank_question_slots_are_left_out(committee_client, building):
    data = form_data(building, **{"questions-TOTAL_FORMS": "2", "questions-1-kind": "yes_no"})

    committee_client.post(NEW, data)

    assert Poll.objects.get().questions.count() == 1


def test_adding_a_question_slot_keeps_what_was_typed_and_writes_nothing(committee_client, building):
    response = committee_client.post(NEW, {**form_data(building), "add_question": "1"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="questions-1-text"' in page
    assert "是否同意加装电梯？" in page and "加装电梯" in page
    assert 'name="questions-TOTAL_FORMS" value="2"' in page
    assert not Poll.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"place": ""}, "This field is required."),
        ({"place": "building:999999"}, "Select a valid choice."),
        ({"kind": "tenants"}, "Select a valid choice."),
        ({"rule_name": "no_such_rule"}, "Select a valid choice."),
        ({"questions-0-text": ""}, "This field is required."),
        (
            {"questions-0-kind": "single", "questions-0-options": "只有一个"},
            "Give at least two options, one per line.",
        ),
        (
            {"opens_at": "2026-03-02 09:00", "closes_at": "2026-03-01 09:00"},
            "The poll must close after it opens.",
        ),
        ({"entrance": "9"}, "has no dwellings in entrance 9"),
        ({"secrecy": "secret"}, "A vote weighted by floor area cannot be secret"),
    ],
)
def test_bad_poll_input_is_refused_with_a_clear_error_and_writes_nothing(
    committee_client, building, overrides, message
):
    traced = TraceEntry.objects.count()

    response = committee_client.post(NEW, form_data(building, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Poll.objects.exists()
    assert TraceEntry.objects.count() == traced


def test_an_entrance_needs_a_building(committee_client, building):
    data = form_data(building, place=f"compound:{building.compound_id}", entrance="1")

    response = committee_client.post(NEW, data)

    assert "An entrance can only be chosen with a building." in response.content.decode()
    assert not Poll.objects.exists()


def test_a_place_of_another_community_is_not_offered_nor_accepted(
    committee_client, building, other_community
):
    foreign = BuildingFactory(compound__community=other_community)

    form = committee_client.get(NEW).content.decode()
    response = committee_client.post(NEW, form_data(building, place=f"building:{foreign.pk}"))

    assert f'value="building:{foreign.pk}"' not in form
    assert "Select a valid choice." in response.content.decode()
    assert not Poll.objects.exists()


# ---------------------------------------------------------------- running a poll


def test_committee_runs_a_poll_from_roll_to_published_result(
    committee_client, committee, building, community
):
    committee_client.post(NEW, form_data(building))
    poll = Poll.objects.get()
    page = f"/admin/polls/{poll.pk}/"

    response = committee_client.post(f"{page}roll/prepare/")
    assert response.status_code == 302
    detail = committee_client.get(page).content.decode()
    assert "4 voters carrying 360.00 m² in all." in detail
    assert detail.count("data-entry=") == 4

    entry = RollEntry.objects.filter(roll__poll=poll).order_by("pk").first()
    correct = f"{page}roll/{entry.pk}/correct/"
    assert committee_client.get(correct).status_code == 200
    response = committee_client.post(
        correct, {"change": "area", "area": "87.60", "reason": "不动产登记簿为87.60平方米"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.area == Decimal("87.60")

    confirm = committee_client.get(f"{page}open/").content.decode()
    assert "The voter roll has 4 voters carrying 357.60 m² in all." in confirm
    assert "later sales, moves or verifications change nothing" in confirm
    assert committee_client.post(f"{page}open/").status_code == 302
    poll.refresh_from_db()
    assert poll.state == Poll.State.OPEN and poll.roll.frozen_at is not None

    ballots = [("yes", entry.dwellings[0])]
    others = RollEntry.objects.filter(roll__poll=poll).exclude(pk=entry.pk).order_by("pk")
    ballots += [("yes", others[0].key), ("abstain", others[1].key)]
    for code, voter in ballots:
        response = committee_client.post(
            f"{page}paper/", {"voter": voter, f"q{poll.questions.get().pk}": choice(poll, code)}
        )
        assert response.status_code == 302
    paper = Participation.objects.filter(poll=poll)
    assert paper.count() == 3
    assert set(paper.values_list("channel", "entered_by")) == {("paper", committee.pk)}

    assert "Closing ends the voting" in committee_client.get(f"{page}close/").content.decode()
    assert committee_client.post(f"{page}close/").status_code == 302
    tally = committee_client.get(f"{page}tally/").content.decode()
    assert 'data-passed="yes"' in tally  # 3 of 4 owners, 267.60 of 357.60 m² take part

    assert committee_client.post(f"{page}publish/").status_code == 302
    poll.refresh_from_db()
    assert poll.state == Poll.State.PUBLISHED
    assert poll_actions(poll) == [
        "poll.created",
        "poll.roll_prepared",
        "poll.roll_corrected",
        "poll.opened",
        "poll.ballot_cast",
        "poll.ballot_cast",
        "poll.ballot_cast",
        "poll.closed",
        "poll.published",
    ]
    correction = TraceEntry.objects.get(action="poll.roll_corrected")
    assert correction.after["reason"] == "不动产登记簿为87.60平方米"
    assert correction.actor == committee and correction.community == community


def test_removing_a_roll_entry_needs_a_reason(committee_client, committee, building):
    poll = make_poll(committee, building)
    engine.prepare_roll(committee, poll, electorates.heads(poll.electorate))
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    url = f"/admin/polls/{poll.pk}/roll/{entry.pk}/correct/"

    refused = committee_client.post(url, {"change": "remove", "reason": ""})
    no_area = committee_client.post(url, {"change": "area", "area": "", "reason": "核对"})
    negative = committee_client.post(url, {"change": "area", "area": "-1", "reason": "核对"})
    removed = committee_client.post(url, {"change": "remove", "reason": "重复登记"})

    assert "This field is required." in refused.content.decode()
    assert "Give the corrected area, zero or more." in no_area.content.decode()
    assert negative.status_code == 200
    assert removed.status_code == 302
    assert not RollEntry.objects.filter(pk=entry.pk).exists()
    assert poll_actions(poll).count("poll.roll_corrected") == 1


def test_roll_correction_after_opening_is_refused(committee_client, committee, building):
    poll = open_poll(committee, make_poll(committee, building))
    entry = RollEntry.objects.filter(roll__poll=poll).first()

    response = committee_client.post(
        f"/admin/polls/{poll.pk}/roll/{entry.pk}/correct/",
        {"change": "area", "area": "1.00", "reason": "登记错误"},
    )

    assert response.status_code == 200
    assert "Not possible while the poll is open." in response.content.decode()
    entry.refresh_from_db()
    assert entry.area == Decimal("90.00")
    assert "poll.roll_corrected" not in poll_actions(poll)


def test_opening_without_a_prepared_roll_is_refused(committee_client, committee, building):
    poll = make_poll(committee, building)

    response = committee_client.post(f"/admin/polls/{poll.pk}/open/", follow=True)

    assert "Prepare the voter roll before opening the poll." in response.content.decode()
    poll.refresh_from_db()
    assert poll.state == Poll.State.DRAFT


def test_paper_ballot_for_a_voter_who_voted_online_is_refused_with_the_reason(
    committee_client, committee, building
):
    poll = open_poll(committee, make_poll(committee, building))
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    engine.cast_ballot(poll, entry, {poll.questions.get().pk: choice(poll, "yes")})

    response = committee_client.post(
        f"/admin/polls/{poll.pk}/paper/",
        {"voter": entry.key, f"q{poll.questions.get().pk}": choice(poll, "no")},
    )

    assert response.status_code == 200
    assert "This voter has already voted (online, " in response.content.decode()
    assert Participation.objects.filter(poll=poll).count() == 1
    assert "poll.ballot_cast" in poll_actions(poll)  # the online one, once
    assert poll_actions(poll).count("poll.ballot_cast") == 1


def test_a_spoiled_paper_ballot_counts_as_taking_part(committee_client, committee, building):
    poll = open_poll(committee, make_poll(committee, building))
    entry = RollEntry.objects.filter(roll__poll=poll).first()

    committee_client.post(
        f"/admin/polls/{poll.pk}/paper/",
        {"voter": entry.key, f"q{poll.questions.get().pk}": "spoiled"},
    )

    participation = Participation.objects.get(poll=poll)
    assert participation.ballot.spoiled and participation.channel == "paper"


@pytest.mark.parametrize(
    ("voter", "pick", "message"),
    [
        ("owner:nobody", "yes", "No voter on this poll&#x27;s roll has this key or dwelling."),
        ("", "yes", "This field is required."),
        (None, "", "Enter the choice on the ballot, or mark it spoiled."),
        (None, "maybe", "Select a valid choice."),
    ],
)
def test_bad_paper_ballot_is_refused_and_writes_nothing(
    committee_client, committee, building, voter, pick, message
):
    poll = open_poll(committee, make_poll(committee, building))
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    traced = TraceEntry.objects.count()
    picked = choice(poll, pick) if pick == "yes" else pick

    response = committee_client.post(
        f"/admin/polls/{poll.pk}/paper/",
        {"voter": entry.key if voter is None else voter, f"q{poll.questions.get().pk}": picked},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Participation.objects.filter(poll=poll).exists()
    assert TraceEntry.objects.count() == traced


def test_tally_stays_hidden_until_the_poll_closes(committee_client, committee, building):
    poll = open_poll(committee, make_poll(committee, building))

    page = committee_client.get(f"/admin/polls/{poll.pk}/tally/").content.decode()

    assert "hidden until it closes" in page and "data-passed" not in page


# ---------------------------------------------------------------- who sees and who acts


def test_staff_of_another_community_neither_see_nor_act(
    client, committee, building, other_community
):
    poll = make_poll(committee, building)
    stranger = staff_of(other_community, "residents_committee")
    sign_in_staff(client, stranger)
    page = f"/admin/polls/{poll.pk}/"

    listing = client.get(POLLS)

    assert listing.status_code == 200
    assert poll not in listing.context["object_list"]
    assert client.get(page).status_code == 404
    assert client.post(f"{page}roll/prepare/").status_code == 404
    assert client.post(f"{page}open/").status_code == 404
    assert client.get(f"{page}tally/").status_code == 404
    assert poll_actions(poll) == ["poll.created"]


def test_supervisory_committee_sees_polls_but_cannot_act(client, committee, building, community):
    poll = open_poll(committee, make_poll(committee, building))
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    watcher = staff_of(community, "supervisory_committee")
    sign_in_staff(client, watcher)
    page = f"/admin/polls/{poll.pk}/"

    assert poll in client.get(POLLS).context["object_list"]
    detail = client.get(page)
    assert detail.status_code == 200
    assert 'data-action="close"' not in detail.content.decode()
    assert 'data-action="tally"' in detail.content.decode()
    assert client.get(NEW).status_code == 403
    assert client.get(f"{page}close/").status_code == 403
    assert client.post(f"{page}close/").status_code == 403
    paper = client.post(f"{page}paper/", {"voter": entry.key, f"q{poll.questions.get().pk}": ""})
    assert paper.status_code == 403
    poll.refresh_from_db()
    assert poll.state == Poll.State.OPEN
    assert not Participation.objects.filter(poll=poll).exists()


def test_a_compound_seat_runs_the_polls_of_its_compound_only(
    client, committee, building, community
):
    neighbour = BuildingFactory(compound__community=community)
    DwellingFactory(building=neighbour)
    ours = make_poll(committee, building, title="本小区")
    theirs = make_poll(committee, neighbour, title="隔壁小区")
    owners_committee = with_totp(UserFactory())
    people.grant_role(None, owners_committee, "owners_committee", community, building.compound)
    sign_in_staff(client, owners_committee)

    listed = list(client.get(POLLS).context["object_list"])

    assert ours in listed and theirs not in listed
    assert client.post(f"/admin/polls/{ours.pk}/roll/prepare/").status_code == 302
    assert client.post(f"/admin/polls/{theirs.pk}/roll/prepare/").status_code == 404
    form = client.get(NEW).content.decode()
    assert f'value="building:{building.pk}"' in form
    assert f'value="building:{neighbour.pk}"' not in form
    assert f'value="community:{community.pk}"' not in form


@pytest.mark.parametrize("rows", [1, 50])
def test_poll_listing_query_count_does_not_grow_with_rows(
    committee_client, committee, building, django_assert_max_num_queries, rows
):
    for n in range(rows):
        poll = make_poll(committee, building, title=f"表决{n}")
        engine.prepare_roll(committee, poll, electorates.heads(poll.electorate))

    with django_assert_max_num_queries(20):
        response = committee_client.get(POLLS)

    assert len(response.context["object_list"]) == rows
    page = response.content.decode()
    assert "0 / 4" in page and "业主共同决定一般事项" in page


def test_an_area_rule_for_households_is_refused(committee, community):
    from django.core.exceptions import ValidationError

    from deliberation.services import polls as poll_services
    from polls.models import Poll

    compound = CompoundFactory(community=community)
    with pytest.raises(ValidationError):
        poll_services.create_poll(
            committee,
            kind="households",
            place=compound,
            rule_name="owners_ordinary",
            title="t",
            questions=[{"kind": "yes_no", "text": "q?"}],
        )
    assert not Poll.objects.exists()
