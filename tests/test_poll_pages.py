"""The resident side of polls: the list, the ballot form for each kind of question,
receipts, results while hidden and once closed, the result notice and the list of
receipt codes."""

from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from polls import services
from polls.electorate import Head
from polls.models import Answer, Ballot, Participation, Poll

from .factories import CommunityFactory, UserFactory, sign_in_staff, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"


HUNDRED = Decimal("100.00")
KINDS = {
    "yes_no": {"kind": "yes_no", "text": "是否同意加装电梯？"},
    "single": {"kind": "single", "text": "选哪家物业？", "options": ["甲物业", "乙物业", "丙物业"]},
    "multiple": {
        "kind": "multiple",
        "text": "先做哪些改造？",
        "options": ["路灯", "绿化", "停车", "门禁"],
        "min_picks": 1,
        "max_picks": 2,
    },
    "ranked": {"kind": "ranked", "text": "选举楼长", "options": ["张", "王", "李"]},
    "score": {"kind": "score", "text": "物业服务评分", "options": ["保洁", "安保"], "max_score": 5},
}


def make_poll(
    voters,
    kinds=("yes_no",),
    *,
    rule="simple_majority",
    secrecy="public",
    results="live",
    allow_change=False,
    others=0,
    area=None,
) -> Poll:
    poll = services.create_poll(
        None,
        title="加装电梯表决",
        scope_label="3号楼2单元业主",
        electorate="test",
        rule_name=rule,
        secrecy=secrecy,
        results=results,
        allow_change=allow_change,
        questions=[KINDS[kind] for kind in kinds],
    )
    weight = {"area": area} if area is not None else {}
    heads = [Head(key=f"u{u.pk}", label=f"户{u.pk}", user_id=u.pk, **weight) for u in voters]
    heads += [Head(key=f"x{n}", label=f"其他{n}", **weight) for n in range(others)]
    services.open_poll(None, poll, heads)
    return poll


def question(poll: Poll, kind: str):
    return next(q for q in poll.questions.all() if q.kind == kind)


def option_ids(poll: Poll, kind: str) -> list[int]:
    return list(question(poll, kind).options.values_list("pk", flat=True))


def yes(poll: Poll) -> dict:
    q = question(poll, "yes_no")
    return {f"q{q.pk}": str(q.options.get(code="yes").pk)}


def vote_url(poll: Poll) -> str:
    return f"/polls/{poll.pk}/vote/"


def cast_for(poll: Poll, user, code="yes"):
    entry = poll.roll.entries.get(user=user)
    q = question(poll, "yes_no")
    return services.cast_ballot(poll, entry, {q.pk: q.options.get(code=code).pk})


def nothing_written() -> bool:
    return not (
        Participation.objects.exists() or Ballot.objects.exists() or Answer.objects.exists()
    )


@pytest.fixture
def poll(resident) -> Poll:
    return make_poll([resident], others=2)


# The list ------------------------------------------------------------------------------


def test_poll_list_needs_sign_in(client):
    response = client.get("/polls/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_poll_list_shows_open_polls_first_and_whether_i_voted(resident_client, resident):
    closed = make_poll([resident])
    cast_for(closed, resident)
    services.close_poll(None, closed)
    open_ = make_poll([resident])
    not_mine = make_poll([UserFactory()])
    page = resident_client.get("/polls/")
    polls = list(page.context["polls"])
    assert [p.pk for p in polls] == [open_.pk, closed.pk]
    assert polls[0].voted is False and polls[1].voted is True
    assert not_mine.pk not in [p.pk for p in polls]


@pytest.mark.parametrize("rows", [1, 50])
def test_poll_list_query_count_does_not_grow_with_rows(
    resident_client, resident, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        make_poll([resident])
    with django_assert_max_num_queries(5):
        response = resident_client.get("/polls/")
    assert len(response.context["polls"]) == rows


# Voting through the form, one kind at a time ----------------------------------------------


def ballot_for(poll: Poll, kind: str) -> tuple[dict, list[tuple]]:
    """Form data for one question of `kind`, and the answers it should store as
    (option index, rank, score)."""
    q = question(poll, kind)
    ids = option_ids(poll, kind)
    if kind == "yes_no":
        return yes(poll), [(0, None, None)]
    if kind == "single":
        return {f"q{q.pk}": str(ids[1])}, [(1, None, None)]
    if kind == "multiple":
        return {f"q{q.pk}": [str(ids[0]), str(ids[2])]}, [(0, None, None), (2, None, None)]
    if kind == "ranked":
        data = {
            f"q{q.pk}_rank_{ids[0]}": "2",
            f"q{q.pk}_rank_{ids[1]}": "",
            f"q{q.pk}_rank_{ids[2]}": "1",
        }
        return data, [(2, 1, None), (0, 2, None)]
    data = {f"q{q.pk}_score_{ids[0]}": "4", f"q{q.pk}_score_{ids[1]}": "0"}
    return data, [(0, None, 4), (1, None, 0)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_resident_votes_through_the_form_and_gets_a_receipt(resident_client, resident, kind):
    poll = make_poll([resident], [kind])
    page = resident_client.get(f"/polls/{poll.pk}/")
    assert page.status_code == 200 and page.context["form"] is not None

    data, expected = ballot_for(poll, kind)
    response = resident_client.post(vote_url(poll), data)

    assert response.status_code == 303
    location = urlparse(response["Location"])
    assert location.path == f"/polls/{poll.pk}/receipt/"
    code = parse_qs(location.query)["code"][0]
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.receipt == code
    ids = option_ids(poll, kind)
    stored = sorted(
        (ids.index(a.option_id), a.rank, a.score) for a in Answer.objects.filter(ballot=ballot)
    )
    assert stored == sorted(expected)

    receipt = resident_client.get(response["Location"])
    assert receipt.status_code == 200
    assert code in receipt.content.decode()


def test_poll_page_shows_my_receipt_code_after_voting(resident_client, resident, poll):
    receipt = cast_for(poll, resident).receipt
    page = resident_client.get(f"/polls/{poll.pk}/")
    assert page.context["form"] is None
    assert receipt in page.content.decode()


def test_second_ballot_from_the_same_resident_is_refused(resident_client, resident, poll):
    assert resident_client.post(vote_url(poll), yes(poll)).status_code == 303
    q = question(poll, "yes_no")
    again = resident_client.post(vote_url(poll), {f"q{q.pk}": q.options.get(code="no").pk})
    assert again.status_code == 403
    assert "already voted" in again.content.decode()
    assert Ballot.objects.count() == 1
    assert Answer.objects.get().option.code == "yes"


def test_a_ballot_may_be_changed_when_the_poll_allows_it(resident_client, resident):
    poll = make_poll([resident], allow_change=True)
    first = resident_client.post(vote_url(poll), yes(poll))
    q = question(poll, "yes_no")
    page = resident_client.get(f"/polls/{poll.pk}/")
    assert page.context["form"] is not None  # offered again, prefilled
    second = resident_client.post(vote_url(poll), {f"q{q.pk}": q.options.get(code="no").pk})
    assert second.status_code == 303 and second["Location"] == first["Location"]
    assert Answer.objects.get().option.code == "no"


def test_resident_not_on_the_roll_is_refused_and_nothing_is_written(client, poll):
    client.force_login(UserFactory())
    assert client.get(f"/polls/{poll.pk}/").status_code == 403
    response = client.post(vote_url(poll), yes(poll))
    assert response.status_code == 403
    assert "not on the voter roll" in response.content.decode()
    assert nothing_written()


def test_closed_poll_refuses_ballots(resident_client, resident, poll):
    services.close_poll(None, poll)
    response = resident_client.post(vote_url(poll), yes(poll))
    assert response.status_code == 403
    assert "closed" in response.content.decode()
    assert nothing_written()


def test_voting_needs_sign_in(client, poll):
    response = client.post(vote_url(poll), yes(poll))
    assert response.status_code == 302
    assert nothing_written()


def test_voting_answers_only_post(resident_client, poll):
    assert resident_client.get(vote_url(poll)).status_code == 405


def bad_ballot(poll: Poll, kind: str, case: str) -> dict:
    q = question(poll, kind)
    ids = option_ids(poll, kind)
    foreign = max(ids) + 1000
    return {
        ("yes_no", "missing"): {},
        ("yes_no", "not a number"): {f"q{q.pk}": "yes"},
        ("yes_no", "not an option"): {f"q{q.pk}": str(foreign)},
        ("yes_no", "two answers"): {f"q{q.pk}": [str(ids[0]), str(ids[1])]},
        ("single", "missing"): {f"q{q.pk}": ""},
        ("single", "not an option"): {f"q{q.pk}": str(foreign)},
        ("multiple", "too many"): {f"q{q.pk}": [str(i) for i in ids[:3]]},
        ("multiple", "not an option"): {f"q{q.pk}": [str(ids[0]), str(foreign)]},
        ("multiple", "none"): {},
        ("ranked", "none"): {f"q{q.pk}_rank_{ids[0]}": ""},
        ("ranked", "repeated rank"): {
            f"q{q.pk}_rank_{ids[0]}": "1",
            f"q{q.pk}_rank_{ids[1]}": "1",
        },
        ("ranked", "gap"): {f"q{q.pk}_rank_{ids[0]}": "1", f"q{q.pk}_rank_{ids[1]}": "3"},
        ("ranked", "out of range"): {f"q{q.pk}_rank_{ids[0]}": "9"},
        ("ranked", "not a number"): {f"q{q.pk}_rank_{ids[0]}": "first"},
        ("score", "above the top"): {f"q{q.pk}_score_{ids[0]}": "6"},
        ("score", "negative"): {f"q{q.pk}_score_{ids[0]}": "-1"},
        ("score", "not a number"): {f"q{q.pk}_score_{ids[0]}": "很好"},
        ("score", "none"): {},
    }[(kind, case)]


@pytest.mark.parametrize(
    ("kind", "case", "says"),
    [
        ("yes_no", "missing", "Answer"),
        ("yes_no", "not a number", "not an option"),
        ("yes_no", "not an option", "not an option"),
        ("yes_no", "two answers", "only one"),
        ("single", "missing", "Answer"),
        ("single", "not an option", "not an option"),
        ("multiple", "too many", "between 1 and 2"),
        ("multiple", "not an option", "not an option"),
        ("multiple", "none", "Answer"),
        ("ranked", "none", "Answer"),
        ("ranked", "repeated rank", "without repeating"),
        ("ranked", "gap", "without repeating or skipping"),
        ("ranked", "out of range", "from 1 to 3"),
        ("ranked", "not a number", "from 1 to 3"),
        ("score", "above the top", "from 0 to 5"),
        ("score", "negative", "from 0 to 5"),
        ("score", "not a number", "from 0 to 5"),
        ("score", "none", "Answer"),
    ],
)
def test_bad_ballot_gets_a_clear_error_and_nothing_is_written(
    settings, resident_client, resident, kind, case, says
):
    settings.LANGUAGE_CODE = "en"
    poll = make_poll([resident], [kind])
    response = resident_client.post(vote_url(poll), bad_ballot(poll, kind, case))
    assert response.status_code == 400
    assert says in " ".join(response.context["form"].non_field_errors())
    assert 'role="alert"' in response.content.decode()
    assert nothing_written()


def test_one_bad_answer_spoils_nothing_and_keeps_the_other_answers(resident_client, resident):
    poll = make_poll([resident], ["yes_no", "score"])
    data = {**yes(poll), **bad_ballot(poll, "score", "above the top")}
    response = resident_client.post(vote_url(poll), data)
    assert response.status_code == 400
    assert nothing_written()
    assert "checked" in response.content.decode()  # the valid answer is kept for the retry


def test_receipt_page_refuses_what_is_not_a_receipt_code(resident_client, poll):
    response = resident_client.get(f"/polls/{poll.pk}/receipt/?code=<script>")
    assert response.status_code == 400
    assert "<script>" not in response.content.decode()


# Secrecy ---------------------------------------------------------------------------------


def test_secret_poll_shows_the_receipt_once_and_then_only_that_i_voted(resident_client, resident):
    poll = make_poll([resident], secrecy="secret", results="hidden_until_closed")
    response = resident_client.post(vote_url(poll), yes(poll))
    assert response.status_code == 200 and "Location" not in response
    assert response["Cache-Control"] == "no-store"
    code = Ballot.objects.get().receipt
    receipt = response.content.decode()
    assert code in receipt and "shown only once" in receipt
    page = resident_client.get(f"/polls/{poll.pk}/")
    assert page.context["participation"] is not None and page.context["receipt"] is None
    assert code not in page.content.decode()
    assert Ballot.objects.get().participation is None


# Results ---------------------------------------------------------------------------------


def test_live_results_are_drawn_as_an_accessible_svg_chart_with_a_table(resident_client, resident):
    poll = make_poll([resident], others=1)
    cast_for(poll, resident)
    html = resident_client.get(f"/polls/{poll.pk}/results/").content.decode()
    assert '<svg class="chart"' in html and 'role="img"' in html and "<title" in html
    assert '<div class="visually-hidden"><table>' in html
    assert "1 / 2 = 50.00%" not in html  # simple majority has no quorum check
    assert "1 / 1 = 100.00%" in html  # agreeing of those taking part


def test_hidden_results_stay_hidden_until_the_poll_closes(resident_client, resident):
    poll = make_poll([resident], results="hidden_until_closed", others=1)
    cast_for(poll, resident)
    for url in (f"/polls/{poll.pk}/results/", f"/polls/{poll.pk}/results/fragment/"):
        html = resident_client.get(url).content.decode()
        assert "Results appear when the poll closes" in html or "投票结束后公布结果" in html
        assert "<svg" not in html
    services.close_poll(None, poll)
    assert "<svg" in resident_client.get(f"/polls/{poll.pk}/results/").content.decode()


def test_results_are_refused_to_someone_not_on_the_roll_until_published(client, resident, poll):
    client.force_login(UserFactory())
    assert client.get(f"/polls/{poll.pk}/results/").status_code == 403
    services.close_poll(None, poll)
    assert client.get(f"/polls/{poll.pk}/results/").status_code == 403
    services.publish_result(None, poll)
    client.logout()
    assert "<svg" in client.get(f"/polls/{poll.pk}/results/").content.decode()


def test_anonymous_visitor_is_sent_to_sign_in_before_publication(client, poll):
    response = client.get(f"/polls/{poll.pk}/results/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_without_a_seat_for_the_polls_place_see_nothing(client, poll):
    staff = with_totp(UserFactory(is_staff=True))
    sign_in_staff(client, staff)
    response = client.get(f"/polls/{poll.pk}/results/")
    assert response.status_code in (403, 404)
    assert "<svg" not in response.content.decode()


def test_staff_of_the_polls_community_see_results_without_being_on_the_roll(client, community):
    from deliberation import electorates

    from .factories import BuildingFactory, staff_of

    building = BuildingFactory(compound__community=community)
    poll = make_poll([UserFactory()])
    Poll.objects.filter(pk=poll.pk).update(
        electorate=electorates.electorate_key("owners", building)
    )
    sign_in_staff(client, staff_of(community, "supervisory_committee"))
    assert "<svg" in client.get(f"/polls/{poll.pk}/results/").content.decode()
    sign_in_staff(client, staff_of(CommunityFactory(), "residents_committee"))
    assert client.get(f"/polls/{poll.pk}/results/").status_code in (403, 404)


def test_owners_results_show_areas_and_the_numbers_that_decided(settings, client):
    """Worked example 1: 6 owners of 100 m², 4 vote, 3 yes and 1 no."""
    settings.LANGUAGE_CODE = "en"
    owners = [UserFactory() for _ in range(6)]
    poll = make_poll(owners, rule="owners_ordinary", area=HUNDRED)
    for owner, code in zip(owners, ["yes", "yes", "yes", "no"], strict=False):
        cast_for(poll, owner, code)
    client.force_login(owners[0])
    html = client.get(f"/polls/{poll.pk}/results/").content.decode()
    assert "400.00 m² / 600.00 m² = 66.67%" in html  # quorum by area
    assert "4 / 6 = 66.67%" in html  # quorum by owners
    assert "300.00 m² / 400.00 m² = 75.00%" in html  # agreeing area
    assert "3 / 4 = 75.00%" in html
    assert "at least 2/3" in html and "more than 1/2" in html
    assert "300.00 m²" in html and "Passed" in html


def test_ranked_results_show_the_rounds_and_score_results_the_averages(client):
    voters = [UserFactory() for _ in range(3)]
    poll = make_poll(voters, ["ranked", "score"])
    ranked, score = question(poll, "ranked"), question(poll, "score")
    a, b, c = option_ids(poll, "ranked")
    tidy, guard = option_ids(poll, "score")
    for entry, ranking, marks in zip(
        poll.roll.entries.order_by("pk"),
        [[a, b], [b, a], [c, b]],
        [{tidy: 5, guard: 2}, {tidy: 4, guard: 3}, {tidy: 3}],
        strict=True,
    ):
        services.cast_ballot(poll, entry, {ranked.pk: ranking, score.pk: marks})
    services.close_poll(None, poll)
    client.force_login(voters[0])
    page = client.get(f"/polls/{poll.pk}/results/")
    shown = {q["kind"]: q for q in page.context["results"]["questions"]}
    assert shown["ranked"]["rounds"]["winner"] == "王"
    assert len(shown["ranked"]["rounds"]["numbers"]) == 2
    assert [r["average"] for r in shown["score"]["score_rows"]] == ["4.00", "2.50"]
    assert 'class="rounds"' in page.content.decode()


@pytest.mark.parametrize("ballots", [1, 50])
def test_results_page_query_count_does_not_grow_with_ballots(
    client, ballots, django_assert_max_num_queries
):
    voters = [UserFactory() for _ in range(ballots)]
    poll = make_poll(voters, list(KINDS))
    ids = {kind: option_ids(poll, kind) for kind in KINDS}
    qs = {kind: question(poll, kind).pk for kind in KINDS}
    for entry in poll.roll.entries.all():
        services.cast_ballot(
            poll,
            entry,
            {
                qs["yes_no"]: ids["yes_no"][0],
                qs["single"]: ids["single"][0],
                qs["multiple"]: ids["multiple"][:2],
                qs["ranked"]: ids["ranked"],
                qs["score"]: {ids["score"][0]: 3},
            },
        )
    client.force_login(voters[0])
    with django_assert_max_num_queries(21):
        response = client.get(f"/polls/{poll.pk}/results/")
    assert response.context["results"]["ballots"] == ballots


# Notice and receipts ---------------------------------------------------------------------


def test_result_notice_is_issued_only_once_the_poll_closes(settings, client):
    settings.LANGUAGE_CODE = "en"
    owners = [UserFactory() for _ in range(6)]
    poll = make_poll(owners, rule="owners_special", area=HUNDRED)
    for owner, code in zip(owners, ["yes", "yes", "yes", "abstain"], strict=False):
        cast_for(poll, owner, code)
    client.force_login(owners[5])
    assert client.get(f"/polls/{poll.pk}/notice/").status_code == 404
    services.close_poll(None, poll)
    response = client.get(f"/polls/{poll.pk}/notice/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "业主共同决定特别事项" in html and "3号楼2单元业主" in html
    assert "Result: passed." in html and "The quorum was met." in html
    assert "4 / 6" in html and "400.00 / 600.00" in html
    assert "abstain" in html and "300.00" in html
    assert "@media print" in (settings.BASE_DIR / "static/css/polls.css").read_text()


def test_receipts_list_every_counted_code_after_closing(resident_client, resident, poll):
    code = cast_for(poll, resident).receipt
    url = f"/polls/{poll.pk}/receipts/"
    assert resident_client.get(url).status_code == 404  # still open
    services.close_poll(None, poll)
    page = resident_client.get(url)
    assert code in page.content.decode()
    found = resident_client.get(url, {"code": code.lower()})
    assert found.context["search"] == {"code": code, "found": True}
    missing = resident_client.get(url, {"code": "2222222222"})
    assert missing.context["search"]["found"] is False


def test_receipt_search_with_a_malformed_code_says_what_a_code_looks_like(
    resident_client, resident, poll
):
    cast_for(poll, resident)
    services.close_poll(None, poll)
    response = resident_client.get(f"/polls/{poll.pk}/receipts/", {"code": "abc!"})
    assert response.status_code == 200
    assert "error" in response.context["search"]
    assert Ballot.objects.count() == 1


@pytest.mark.parametrize("ballots", [1, 50])
def test_receipts_page_query_count_does_not_grow_with_ballots(
    client, ballots, django_assert_max_num_queries
):
    voters = [UserFactory() for _ in range(ballots)]
    poll = make_poll(voters)
    for voter in voters:
        cast_for(poll, voter)
    services.close_poll(None, poll)
    client.force_login(voters[0])
    with django_assert_max_num_queries(8):
        response = client.get(f"/polls/{poll.pk}/receipts/")
    assert response.context["page"].paginator.count == ballots


def test_a_public_poll_shows_each_voters_choice_and_a_named_one_does_not(client):
    from polls.electorate import Head

    voters = [UserFactory() for _ in range(2)]
    shown = {}
    for secrecy in ("public", "named"):
        poll = services.create_poll(
            None,
            title=f"{secrecy} vote",
            scope_label="s",
            electorate="test",
            rule_name="simple_majority",
            secrecy=secrecy,
            results="live",
            questions=[{"kind": "yes_no", "text": "Agree?"}],
        )
        services.open_poll(
            None, poll, [Head(key=f"p{u.pk}", label=f"Voter {u.pk}", user_id=u.pk) for u in voters]
        )
        question = poll.questions.get()
        services.cast_ballot(
            poll,
            poll.roll.entries.get(user=voters[0]),
            {question.pk: question.options.get(code="no").pk},
        )
        client.force_login(voters[1])
        shown[secrecy] = client.get(f"/polls/{poll.pk}/results/").content.decode()
    assert f"Voter {voters[0].pk}" in shown["public"]
    assert f"Voter {voters[0].pk}" not in shown["named"]
