"""Topics in the back office: the triage queue, the committee's steps, moderation and
the consultation catalog; who may see and do what."""

import re
from types import SimpleNamespace

import pytest
from django.utils import timezone

from deliberation import electorates
from deliberation.models import CatalogEntry, Comment, ProgressUpdate, Topic, TraceEntry
from deliberation.services import people
from deliberation.services import topics as topic_services
from polls import services as engine
from polls.models import Poll

from .factories import (
    BuildingFactory,
    CatalogEntryFactory,
    CompoundFactory,
    DwellingFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    verified_member,
    with_totp,
)

pytestmark = pytest.mark.django_db

S = Topic.Status
QUEUE = "/admin/topics/"
REPORTED = "/admin/topics/reported/"
CATALOG = "/admin/catalog/"


@pytest.fixture(autouse=True)
def _english_back_office(settings):
    """Wagtail answers in the staff member's language (the site default); these tests
    read the English wording."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def place(community, other_community):
    """A community with two compounds; the topic's building has five households."""
    compound = CompoundFactory(community=community, name="幸福里一期")
    other_compound = CompoundFactory(community=community, name="幸福里二期")
    building = BuildingFactory(compound=compound, name="3号楼")
    dwellings = [
        DwellingFactory(building=building, entrance="2", number=f"{n}01") for n in range(1, 6)
    ]
    entry = CatalogEntryFactory(
        community=community, name="公共设施维护", level="building", threshold_households=3
    )
    return SimpleNamespace(
        community=community,
        other_community=other_community,
        compound=compound,
        other_compound=other_compound,
        building=building,
        dwellings=dwellings,
        entry=entry,
    )


def seat(kind: str, community, compound=None):
    user = UserFactory()
    people.grant_role(None, user, kind, community, compound)
    user.refresh_from_db()
    return with_totp(user)


def proposed_topic(place, title: str = "3号楼2单元加装电梯", *, dwelling=None) -> Topic:
    """A topic a resident of the building drafted and proposed (their household signs)."""
    proposer = member_of(dwelling or place.dwellings[0])
    topic = topic_services.save_draft(
        proposer,
        catalog_entry=place.entry,
        scope=topic_services.scope_key(place.building),
        title=title,
        body="老人上下楼困难，希望加装电梯。",
    )
    return topic_services.propose(proposer, topic)


def advance(
    topic: Topic, status: str, staff, responsible: str = Topic.Responsible.PROPERTY_COMPANY
) -> Topic:
    """Take the committee's steps through the services until `topic` is in `status`."""
    following = {
        S.PROPOSED: lambda t: topic_services.accept(staff, t),
        S.ACCEPTED: lambda t: topic_services.schedule(staff, t, note="3号楼听证会"),
        S.SCHEDULED: lambda t: topic_services.mark_deliberated(staff, t),
        S.DELIBERATED: lambda t: topic_services.resolve(staff, t, resolution="同意加装。"),
        S.RESOLVED: lambda t: topic_services.start_implementation(
            staff, t, responsible=responsible, responsible_name="幸福物业"
        ),
        S.IMPLEMENTING: lambda t: topic_services.close(staff, t),
    }
    while topic.status != status:
        topic = following[topic.status](topic)
    return topic


def snapshot(topic: Topic) -> tuple:
    """What a refused step must leave as it was."""
    topic.refresh_from_db()
    fields = ("status", "decline_reason", "schedule_note", "poll_id", "resolution", "responsible")
    return (
        tuple(getattr(topic, field) for field in fields),
        TraceEntry.objects.count(),
        ProgressUpdate.objects.count(),
    )


def step_url(topic: Topic, step: str) -> str:
    return f"/admin/topics/{topic.pk}/{step}/"


def offered_steps(page: str) -> list[str]:
    return re.findall(r'data-step="([a-z]+)"', page)


def building_poll(place, *, state: str = "draft", community=None) -> Poll:
    building = (
        place.building if community is None else BuildingFactory(compound__community=community)
    )
    poll = engine.create_poll(
        None,
        title="是否同意加装电梯",
        scope_label=f"{building} · owners",
        electorate=electorates.electorate_key("owners", building),
        rule_name="owners_special",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    if state in ("open", "closed"):
        engine.open_poll(None, poll, electorates.heads(poll.electorate))
    if state == "closed":
        engine.close_poll(None, poll)
    poll.refresh_from_db()
    return poll


# ---------------------------------------------------------------- who may see and do what

# Who may open the topic's handle page, and which steps they are offered on a proposed
# topic of the first compound's building.
MATRIX = {
    "residents_committee": (200, ["accept", "decline"]),
    "residents_committee_elsewhere": (403, None),
    "owners_committee_of_compound": (200, ["accept", "decline"]),
    "owners_committee_of_other_compound": (403, None),
    "property_company": (200, []),
    "party_organisation": (200, []),
    "supervisory_committee": (200, []),
}


def actor(name: str, place):
    return {
        "residents_committee": lambda: staff_of(place.community, "residents_committee"),
        "residents_committee_elsewhere": lambda: staff_of(
            place.other_community, "residents_committee"
        ),
        "owners_committee_of_compound": lambda: seat(
            "owners_committee", place.community, place.compound
        ),
        "owners_committee_of_other_compound": lambda: seat(
            "owners_committee", place.community, place.other_compound
        ),
        "property_company": lambda: staff_of(place.community, "property_company"),
        "party_organisation": lambda: staff_of(place.community, "party_organisation"),
        "supervisory_committee": lambda: staff_of(place.community, "supervisory_committee"),
    }[name]()


@pytest.mark.parametrize("who", MATRIX)
def test_handle_page_and_queue_follow_the_seat(client, place, who):
    topic = proposed_topic(place)
    sign_in_staff(client, actor(who, place))
    status, steps = MATRIX[who]

    queue = client.get(QUEUE)
    page = client.get(f"/admin/topics/{topic.pk}/")

    assert queue.status_code == 200
    assert (f'data-topic="{topic.pk}"' in queue.content.decode()) == (status == 200)
    assert page.status_code == status
    if status == 200:
        assert offered_steps(page.content.decode()) == steps
        assert "老人上下楼困难" in page.content.decode()
    else:
        assert "老人上下楼困难" not in page.content.decode()


@pytest.mark.parametrize("who", [name for name, (_, steps) in MATRIX.items() if not steps])
@pytest.mark.parametrize(
    "step,data",
    [("accept", {}), ("decline", {"reason": "不属于本社区事项"})],
)
def test_seats_without_steps_are_refused_every_step(client, place, who, step, data):
    topic = proposed_topic(place)
    sign_in_staff(client, actor(who, place))
    before = snapshot(topic)

    response = client.post(step_url(topic, step), data)

    assert response.status_code == 403
    assert snapshot(topic) == before


@pytest.mark.parametrize("who", ["residents_committee", "owners_committee_of_compound"])
def test_committee_of_the_place_accepts_a_proposed_topic(client, place, who):
    topic = proposed_topic(place)
    staff = actor(who, place)
    sign_in_staff(client, staff)

    response = client.post(step_url(topic, "accept"))

    assert response.status_code == 302
    assert response["Location"] == f"/admin/topics/{topic.pk}/"
    topic.refresh_from_db()
    assert topic.status == S.ACCEPTED and topic.accepted_by == Topic.AcceptedBy.COMMITTEE
    entry = TraceEntry.objects.filter(action="topic.accepted").get()
    assert entry.actor == staff and entry.is_public
    assert (
        "The topic is accepted into the queue." in client.get(response["Location"]).content.decode()
    )


def test_a_plain_resident_never_reaches_the_topic_back_office(client, place):
    topic = proposed_topic(place)
    client.force_login(verified_member(place.dwellings[1]))
    before = snapshot(topic)

    for response in (
        client.get(QUEUE),
        client.get(f"/admin/topics/{topic.pk}/"),
        client.post(step_url(topic, "accept")),
        client.get(REPORTED),
        client.get(CATALOG),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/back-office/sign-in/")
    assert snapshot(topic) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, place):
    topic = proposed_topic(place)
    before = snapshot(topic)

    for response in (
        client.get(QUEUE),
        client.get(f"/admin/topics/{topic.pk}/"),
        client.post(step_url(topic, "decline"), {"reason": "无"}),
    ):
        assert response.status_code == 302
        assert "login" in response["Location"] or "sign-in" in response["Location"]
    assert snapshot(topic) == before


def test_drafts_are_not_found_in_the_back_office(committee_client, place):
    proposer = verified_member(place.dwellings[0])
    draft = topic_services.save_draft(
        proposer,
        catalog_entry=place.entry,
        scope=topic_services.scope_key(place.building),
        title="草稿",
        body="还没想好",
    )

    assert committee_client.get(f"/admin/topics/{draft.pk}/").status_code == 404
    assert committee_client.post(step_url(draft, "accept")).status_code == 404
    assert (
        f'data-topic="{draft.pk}"'
        not in committee_client.get(QUEUE, {"status": "all"}).content.decode()
    )


def test_an_unknown_step_is_not_found(committee_client, place):
    topic = proposed_topic(place)

    assert committee_client.post(step_url(topic, "approve")).status_code == 404


def test_steps_answer_only_post(committee_client, place):
    topic = proposed_topic(place)

    assert committee_client.get(step_url(topic, "accept")).status_code == 405
    topic.refresh_from_db()
    assert topic.status == S.PROPOSED


# ---------------------------------------------------------------- the property company


def test_property_company_posts_progress_when_responsible(client, committee, place):
    topic = advance(proposed_topic(place), S.IMPLEMENTING, committee)
    company = staff_of(place.community, "property_company")
    sign_in_staff(client, company)

    page = client.get(f"/admin/topics/{topic.pk}/").content.decode()
    response = client.post(step_url(topic, "progress"), {"text": "电梯井道已开挖。"})
    close = client.post(step_url(topic, "close"))

    assert offered_steps(page) == ["progress"]
    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert (update.author, update.on_behalf_of, update.text) == (
        company,
        "幸福物业",
        "电梯井道已开挖。",
    )
    assert close.status_code == 403
    topic.refresh_from_db()
    assert topic.status == S.IMPLEMENTING


def test_property_company_may_not_post_progress_for_another_party(client, committee, place):
    topic = advance(
        proposed_topic(place), S.IMPLEMENTING, committee, responsible=Topic.Responsible.GOVERNMENT
    )
    sign_in_staff(client, staff_of(place.community, "property_company"))
    before = snapshot(topic)

    page = client.get(f"/admin/topics/{topic.pk}/")
    response = client.post(step_url(topic, "progress"), {"text": "已处理"})

    assert page.status_code == 200 and offered_steps(page.content.decode()) == []
    assert response.status_code == 403
    assert snapshot(topic) == before


def test_property_company_of_another_community_cannot_open_the_topic(client, committee, place):
    topic = advance(proposed_topic(place), S.IMPLEMENTING, committee)
    sign_in_staff(client, staff_of(place.other_community, "property_company"))
    before = snapshot(topic)

    assert client.get(f"/admin/topics/{topic.pk}/").status_code == 403
    assert client.post(step_url(topic, "progress"), {"text": "已处理"}).status_code == 403
    assert snapshot(topic) == before


# ---------------------------------------------------------------- the lifecycle, end to end


def test_the_committee_takes_a_topic_from_proposed_to_closed(committee_client, committee, place):
    topic = proposed_topic(place)
    poll = building_poll(place)

    def page() -> str:
        return committee_client.get(f"/admin/topics/{topic.pk}/").content.decode()

    assert offered_steps(page()) == ["accept", "decline"]
    assert committee_client.post(step_url(topic, "accept")).status_code == 302

    assert offered_steps(page()) == ["schedule", "decline"]
    assert f'<option value="{poll.pk}">' in page()
    response = committee_client.post(
        step_url(topic, "schedule"),
        {"note": "3号楼加装电梯听证会", "scheduled_for": "2030-05-01 19:00", "poll": poll.pk},
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.SCHEDULED and topic.poll == poll
    assert timezone.localtime(topic.scheduled_for).strftime("%Y-%m-%d %H:%M") == "2030-05-01 19:00"

    assert offered_steps(page()) == ["deliberated"]
    assert committee_client.post(step_url(topic, "deliberated")).status_code == 302

    assert offered_steps(page()) == ["schedule", "resolve"]
    engine.open_poll(None, poll, electorates.heads(poll.electorate))
    engine.close_poll(None, poll)
    response = committee_client.post(step_url(topic, "resolve"), {"resolution": "同意加装电梯。"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.RESOLVED and topic.resolution == "同意加装电梯。"
    assert topic.poll == poll  # the scheduled poll decided it

    assert offered_steps(page()) == ["implement", "close"]
    response = committee_client.post(
        step_url(topic, "implement"),
        {"responsible": "property_company", "responsible_name": "幸福物业"},
    )
    assert response.status_code == 302

    assert offered_steps(page()) == ["progress", "close"]
    committee_client.post(step_url(topic, "progress"), {"text": "已签订施工合同。"})
    assert committee_client.post(step_url(topic, "close")).status_code == 302

    topic.refresh_from_db()
    assert topic.status == S.CLOSED
    assert offered_steps(page()) == []
    assert "已签订施工合同。" in page()
    actions = list(
        TraceEntry.objects.filter(object_type="deliberation.topic", actor=committee)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "topic.accepted",
        "topic.scheduled",
        "topic.deliberated",
        "topic.resolved",
        "topic.implementing",
        "topic.progress",
        "topic.closed",
    ]


@pytest.mark.parametrize("status", [S.PROPOSED, S.ACCEPTED])
def test_declining_records_the_public_reason(committee_client, committee, place, status):
    topic = advance(proposed_topic(place), status, committee)

    response = committee_client.post(
        step_url(topic, "decline"), {"reason": "属于市政道路，已转交街道。"}
    )

    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.DECLINED and topic.decline_reason == "属于市政道路，已转交街道。"
    page = committee_client.get(f"/admin/topics/{topic.pk}/").content.decode()
    assert "属于市政道路，已转交街道。" in page and offered_steps(page) == []


def test_a_deliberated_topic_can_be_scheduled_again(committee_client, committee, place):
    topic = advance(proposed_topic(place), S.DELIBERATED, committee)

    response = committee_client.post(step_url(topic, "schedule"), {"note": "第二次听证会"})

    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.SCHEDULED and topic.schedule_note == "第二次听证会"


def test_resolving_without_a_poll_needs_only_the_text(committee_client, committee, place):
    topic = advance(proposed_topic(place), S.DELIBERATED, committee)

    committee_client.post(step_url(topic, "resolve"), {"resolution": "由物业修复路灯。"})

    topic.refresh_from_db()
    assert topic.status == S.RESOLVED and topic.poll is None


def test_handle_page_summarises_the_topic(committee_client, committee, place):
    CatalogEntry.objects.filter(pk=place.entry.pk).update(
        procedure="owners_vote", rule_name="owners_special"
    )
    poll = building_poll(place, state="closed")
    topic = advance(proposed_topic(place), S.ACCEPTED, committee)
    topic = topic_services.schedule(committee, topic, note="3号楼听证会", poll=poll)
    topic = advance(topic, S.IMPLEMENTING, committee)
    topic_services.post_progress(committee, topic, "已签订施工合同。")
    topic = advance(topic, S.CLOSED, committee)
    topic_services.evaluate(member_of(place.dwellings[0]), topic, satisfaction=4)

    page = committee_client.get(f"/admin/topics/{topic.pk}/").content.decode()

    assert "老人上下楼困难" in page and "幸福里一期 3号楼" in page
    assert 'data-procedure="owners_vote"' in page
    assert "Owners&#x27; vote" in page and "3号楼听证会" in page
    assert f'href="/admin/polls/{poll.pk}/"' in page
    assert "同意加装。" in page and 'data-responsible="property_company"' in page
    assert "幸福物业" in page and "已签订施工合同。" in page
    assert "1 household evaluated it; average satisfaction 4.0 of 5." in page
    assert f'href="/topics/{topic.pk}/"' in page


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "status,step,data,message",
    [
        (
            S.PROPOSED,
            "decline",
            {"reason": "  "},
            "Give the residents a public reason for declining.",
        ),
        (
            S.ACCEPTED,
            "schedule",
            {"note": "", "scheduled_for": "", "poll": ""},
            "Say which meeting or vote will take the topic up.",
        ),
        (
            S.ACCEPTED,
            "schedule",
            {"note": "听证会", "scheduled_for": "明天晚上"},
            "Enter a valid date/time.",
        ),
        (S.DELIBERATED, "resolve", {"resolution": ""}, "Write down what was resolved."),
        (S.IMPLEMENTING, "progress", {"text": ""}, "Write what has been done."),
        (
            S.RESOLVED,
            "implement",
            {"responsible": "", "responsible_name": "某人"},
            "Choose who carries the resolution out.",
        ),
        (S.RESOLVED, "implement", {"responsible": "neighbours"}, "Select a valid choice."),
        (
            S.PROPOSED,
            "close",
            {},
            "A topic that is “proposed, open for co-signing” cannot become “closed”.",
        ),
        (S.PROPOSED, "resolve", {"resolution": "直接通过"}, "cannot become “resolved”"),
        (
            S.CLOSED,
            "progress",
            {"text": "补充说明"},
            "Progress is reported while a resolution is carried out.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    committee_client, committee, place, status, step, data, message
):
    topic = advance(proposed_topic(place), status, committee)
    before = snapshot(topic)

    response = committee_client.post(step_url(topic, step), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(topic) == before


def test_resolving_with_an_open_poll_is_refused(committee_client, committee, place):
    poll = building_poll(place, state="open")
    topic = advance(proposed_topic(place), S.DELIBERATED, committee)
    before = snapshot(topic)

    response = committee_client.post(
        step_url(topic, "resolve"), {"resolution": "同意加装电梯。", "poll": poll.pk}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The linked poll has not closed yet." in page
    assert "同意加装电梯。" in page  # what was typed is kept
    assert snapshot(topic) == before


def test_a_poll_of_another_community_is_not_offered_nor_accepted(
    committee_client, committee, place
):
    foreign = building_poll(place, community=place.other_community)
    own = building_poll(place)
    topic = advance(proposed_topic(place), S.ACCEPTED, committee)
    before = snapshot(topic)

    page = committee_client.get(f"/admin/topics/{topic.pk}/").content.decode()
    response = committee_client.post(
        step_url(topic, "schedule"), {"note": "听证会", "poll": foreign.pk}
    )

    assert f'<option value="{own.pk}">' in page
    assert f'<option value="{foreign.pk}">' not in page
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert snapshot(topic) == before


# ---------------------------------------------------------------- moderation


def member_of(dwelling, **user):
    """The verified member of `dwelling`, seated once."""
    membership = dwelling.memberships.filter(status="verified").first()
    return membership.user if membership else verified_member(dwelling, **user)


def commented(topic: Topic, place, *, reports: int = 0) -> Comment:
    author = member_of(place.dwellings[2], display_name="张三")
    comment = topic_services.post_comment(author, topic, text="楼上的都是骗子", stance="oppose")
    for n in range(reports):
        reporter = member_of(place.dwellings[3 + n])
        topic_services.report_comment(reporter, comment, f"人身攻击{n}")
    comment.refresh_from_db()
    return comment


def test_handle_page_shows_comments_with_their_reports(committee_client, place):
    topic = proposed_topic(place)
    comment = commented(topic, place, reports=2)

    page = committee_client.get(f"/admin/topics/{topic.pk}/").content.decode()

    assert "楼上的都是骗子" in page and "张三" in page
    assert 'data-reports="2"' in page and "人身攻击0" in page and "人身攻击1" in page
    assert f'data-hide="{comment.pk}"' in page


def test_moderator_hides_a_comment_with_a_public_reason(committee_client, committee, place):
    topic = proposed_topic(place)
    comment = commented(topic, place, reports=1)

    response = committee_client.post(
        f"/admin/topics/comments/{comment.pk}/hide/",
        {"reason": "含人身攻击", "next": f"/admin/topics/{topic.pk}/"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/topics/{topic.pk}/"
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_by == committee
    assert comment.hidden_reason == "含人身攻击"
    page = committee_client.get(response["Location"]).content.decode()
    assert f'data-hide="{comment.pk}"' not in page and "含人身攻击" in page
    assert Comment.objects.filter(pk=comment.pk).exists()  # hidden, never deleted


def test_hiding_without_a_reason_is_refused_and_changes_nothing(committee_client, place):
    topic = proposed_topic(place)
    comment = commented(topic, place, reports=1)
    before = TraceEntry.objects.count()

    response = committee_client.post(
        f"/admin/topics/comments/{comment.pk}/hide/", {"reason": ""}, follow=True
    )

    assert "Give a public reason for hiding the comment." in response.content.decode()
    comment.refresh_from_db()
    assert not comment.is_hidden
    assert TraceEntry.objects.count() == before


@pytest.mark.parametrize(
    "who",
    [
        "residents_committee_elsewhere",
        "owners_committee_of_other_compound",
        "property_company",
        "supervisory_committee",
    ],
)
def test_only_those_who_manage_the_topic_hide_its_comments(client, place, who):
    topic = proposed_topic(place)
    comment = commented(topic, place, reports=1)
    sign_in_staff(client, actor(who, place))

    response = client.post(f"/admin/topics/comments/{comment.pk}/hide/", {"reason": "违规"})

    assert response.status_code == 403
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_reported_comments_queue_lists_own_scope_most_reported_first(
    committee_client, place, other_community
):
    topic = proposed_topic(place)
    once = commented(topic, place, reports=1)
    twice = commented(
        proposed_topic(place, "路灯坏了", dwelling=place.dwellings[1]), place, reports=2
    )
    commented(topic, place)  # not reported
    foreign_place = SimpleNamespace(
        building=BuildingFactory(compound__community=other_community),
        entry=CatalogEntryFactory(community=other_community),
    )
    foreign_place.dwellings = [DwellingFactory(building=foreign_place.building) for _ in range(5)]
    foreign = commented(proposed_topic(foreign_place), foreign_place, reports=1)

    page = committee_client.get(REPORTED).content.decode()
    queue = committee_client.get(QUEUE).content.decode()

    assert page.index(f'data-comment="{twice.pk}"') < page.index(f'data-comment="{once.pk}"')
    assert page.count("data-comment=") == 2
    assert f'data-comment="{foreign.pk}"' not in page
    assert 'data-reported="2"' in queue


def test_hiding_from_the_reported_queue_returns_to_it(committee_client, place):
    comment = commented(proposed_topic(place), place, reports=1)

    response = committee_client.post(
        f"/admin/topics/comments/{comment.pk}/hide/", {"reason": "广告", "next": REPORTED}
    )

    assert response["Location"] == REPORTED
    assert "data-comment=" not in committee_client.get(REPORTED).content.decode()


def test_watchers_cannot_open_the_reported_queue(client, place):
    sign_in_staff(client, staff_of(place.community, "supervisory_committee"))

    assert client.get(REPORTED).status_code == 403


# ---------------------------------------------------------------- the queue


def test_queue_sorts_by_signatures_then_age_and_shows_the_threshold(committee_client, place):
    older = proposed_topic(place, "路灯坏了")
    newer = proposed_topic(place, "垃圾分类点太远", dwelling=place.dwellings[1])
    signed = proposed_topic(place, "健身器材损坏", dwelling=place.dwellings[2])
    topic_services.sign(verified_member(place.dwellings[3]), signed)
    Topic.objects.filter(pk=older.pk).update(
        proposed_at=timezone.now() - timezone.timedelta(days=9)
    )

    page = committee_client.get(QUEUE).content.decode()

    order = [page.index(f'data-topic="{t.pk}"') for t in (signed, older, newer)]
    assert order == sorted(order)
    assert "2 / 3" in page  # two households of the three the entry needs


def test_queue_shows_petition_badges_with_their_dates(committee_client, place):
    topic = proposed_topic(place)
    Topic.objects.filter(pk=topic.pk).update(
        residents_meeting_due_at=timezone.make_aware(timezone.datetime(2030, 3, 4)),
        owners_assembly_due_at=timezone.make_aware(timezone.datetime(2030, 3, 5)),
    )

    page = committee_client.get(QUEUE).content.decode()

    assert "Residents' meeting due since 2030-03-04" in page
    assert "Owners' assembly due since 2030-03-05" in page


def test_queue_filters_by_status_and_leaves_out_handled_topics(committee_client, committee, place):
    waiting = proposed_topic(place)
    scheduled = advance(
        proposed_topic(place, "路灯坏了", dwelling=place.dwellings[1]), S.SCHEDULED, committee
    )

    queue = committee_client.get(QUEUE).content.decode()
    only_scheduled = committee_client.get(QUEUE, {"status": "scheduled"}).content.decode()
    everything = committee_client.get(QUEUE, {"status": "all"}).content.decode()

    assert f'data-topic="{waiting.pk}"' in queue and f'data-topic="{scheduled.pk}"' not in queue
    assert f'data-topic="{scheduled.pk}"' in only_scheduled
    assert f'data-topic="{waiting.pk}"' not in only_scheduled
    assert everything.count("data-topic=") == 2


def test_compound_seat_queue_lists_its_compound_only(client, place):
    ours = proposed_topic(place)
    other_building = BuildingFactory(compound=place.other_compound)
    theirs_place = SimpleNamespace(
        building=other_building,
        entry=place.entry,
        dwellings=[DwellingFactory(building=other_building)],
    )
    theirs = proposed_topic(theirs_place)
    sign_in_staff(client, seat("owners_committee", place.community, place.compound))

    page = client.get(QUEUE).content.decode()

    assert f'data-topic="{ours.pk}"' in page and f'data-topic="{theirs.pk}"' not in page


def test_menu_shows_how_many_topics_wait(committee_client, place):
    proposed_topic(place)
    proposed_topic(place, "路灯坏了", dwelling=place.dwellings[1])

    page = committee_client.get("/admin/").content.decode()

    assert "Topics (2)" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_queue_query_count_does_not_grow_with_rows(
    committee_client, place, django_assert_max_num_queries, rows
):
    proposer = UserFactory()
    now = timezone.now()
    Topic.objects.bulk_create(
        Topic(
            community=place.community,
            compound=place.compound,
            building=place.building,
            catalog_entry=place.entry,
            title=f"议题{n}",
            body="内容",
            proposed_by=proposer,
            status=S.PROPOSED,
            proposed_at=now,
            households_in_scope=5,
            signature_count=n % 4,
            residents_meeting_due_at=now if n % 2 else None,
        )
        for n in range(rows)
    )

    with django_assert_max_num_queries(19):
        response = committee_client.get(QUEUE)

    assert response.content.decode().count("data-topic=") == rows


# ---------------------------------------------------------------- the catalog


def catalog_form(entry=None, **overrides) -> dict:
    data = {
        "community": entry.community_id if entry else "",
        "parent": (entry.parent_id or "") if entry else "",
        "name": entry.name if entry else "",
        "covers": entry.covers if entry else "",
        "level": entry.level if entry else "building",
        "procedure": entry.procedure if entry else "council_meeting",
        "rule_name": entry.rule_name if entry else "",
        "threshold_households": (entry.threshold_households or "") if entry else "",
        "threshold_percent": (entry.threshold_percent or "") if entry else "",
        "position": entry.position if entry else 0,
    }
    data.update(overrides)
    return data


def test_catalog_lists_own_communitys_entries_only(committee_client, place):
    foreign = CatalogEntryFactory(community=place.other_community, name="外社区事项")

    page = committee_client.get(CATALOG).content.decode()

    assert "公共设施维护" in page and "外社区事项" not in page
    assert f"/admin/catalog/edit/{place.entry.pk}/" in page
    assert f"/admin/catalog/edit/{foreign.pk}/" not in page


def test_committee_adds_an_entry_under_a_group_of_its_catalog(committee_client, committee, place):
    group = CatalogEntryFactory(community=place.community, name="公共设施与环境", level="compound")
    CatalogEntryFactory(community=place.other_community, name="外社区分组")

    form = committee_client.get(f"{CATALOG}new/")
    parents = list(form.context["form"].fields["parent"].queryset)
    communities = list(form.context["form"].fields["community"].queryset)
    response = committee_client.post(
        f"{CATALOG}new/",
        catalog_form(
            community=place.community.pk,
            parent=group.pk,
            name="加装电梯",
            procedure="owners_vote",
            rule_name="owners_special",
            threshold_percent=20,
        ),
    )

    assert set(parents) == {group, place.entry}
    assert communities == [place.community]
    assert response.status_code == 302
    entry = CatalogEntry.objects.get(name="加装电梯")
    assert (entry.parent, entry.rule_name, entry.threshold_percent) == (group, "owners_special", 20)
    trace = TraceEntry.objects.get(action="catalog.entry_saved")
    assert trace.actor == committee and trace.is_public


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            {"threshold_households": 3, "threshold_percent": 20},
            "Give either a number of households or a share of households, not both.",
        ),
        (
            {"threshold_households": "", "threshold_percent": ""},
            "Give either a number of households or a share of households, not both.",
        ),
        (
            {"procedure": "owners_vote", "rule_name": "", "threshold_households": 3},
            "Name the rule set of the owners&#x27; vote.",
        ),
        ({"name": "", "threshold_households": 3}, "This field is required."),
    ],
)
def test_a_bad_catalog_entry_is_refused_with_a_message(committee_client, place, overrides, message):
    before = (CatalogEntry.objects.count(), TraceEntry.objects.count())

    response = committee_client.post(
        f"{CATALOG}new/",
        catalog_form(**{"community": place.community.pk, "name": "新事项", **overrides}),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert (CatalogEntry.objects.count(), TraceEntry.objects.count()) == before


def test_an_entry_cannot_be_put_under_another_communitys_group(committee_client, place):
    foreign_group = CatalogEntryFactory(community=place.other_community, name="外社区分组")

    response = committee_client.post(
        f"{CATALOG}new/",
        catalog_form(
            community=place.community.pk,
            parent=foreign_group.pk,
            name="新事项",
            threshold_households=3,
        ),
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not CatalogEntry.objects.filter(name="新事项").exists()


def test_an_entry_with_entries_under_it_cannot_become_part_of_another(committee_client, place):
    group = CatalogEntryFactory(community=place.community, name="公共设施与环境")
    CatalogEntry.objects.filter(pk=place.entry.pk).update(parent=group)
    other_group = CatalogEntryFactory(community=place.community, name="物业服务")

    response = committee_client.post(
        f"{CATALOG}edit/{group.pk}/", catalog_form(group, parent=other_group.pk)
    )

    assert response.status_code == 200
    assert "The catalog has two levels: a group and its entries." in response.content.decode()
    group.refresh_from_db()
    assert group.parent is None


def test_committee_renames_an_entry_and_the_change_is_traced(committee_client, place):
    response = committee_client.post(
        f"{CATALOG}edit/{place.entry.pk}/",
        catalog_form(place.entry, name="公共设施维修", community=place.other_community.pk),
    )

    assert response.status_code == 302
    place.entry.refresh_from_db()
    assert place.entry.name == "公共设施维修"
    assert place.entry.community == place.community  # the community is fixed once created
    trace = TraceEntry.objects.get(action="catalog.entry_saved")
    assert trace.before["name"] == "公共设施维护" and trace.after["name"] == "公共设施维修"


def test_another_communitys_committee_cannot_edit_or_delete_the_entry(client, place):
    sign_in_staff(client, staff_of(place.other_community, "residents_committee"))
    before = TraceEntry.objects.count()

    form = client.get(f"{CATALOG}edit/{place.entry.pk}/")
    edit = client.post(f"{CATALOG}edit/{place.entry.pk}/", catalog_form(place.entry, name="改名"))
    delete = client.post(f"{CATALOG}delete/{place.entry.pk}/")

    assert (form.status_code, edit.status_code, delete.status_code) == (404, 404, 404)
    place.entry.refresh_from_db()
    assert place.entry.name == "公共设施维护"
    assert TraceEntry.objects.count() == before


def test_owners_committee_reads_the_catalog_but_cannot_edit_it(client, place):
    sign_in_staff(client, staff_of(place.community, "owners_committee"))

    page = client.get(CATALOG)
    edit = client.post(f"{CATALOG}edit/{place.entry.pk}/", catalog_form(place.entry, name="改名"))

    assert page.status_code == 200 and "公共设施维护" in page.content.decode()
    assert f"/admin/catalog/edit/{place.entry.pk}/" not in page.content.decode()
    assert (edit.status_code, edit["Location"]) == (302, "/admin/")  # Wagtail's refusal
    place.entry.refresh_from_db()
    assert place.entry.name == "公共设施维护"


def test_committee_deletes_an_unused_entry(committee_client, committee, place):
    unused = CatalogEntryFactory(community=place.community, name="宠物管理")

    response = committee_client.post(f"{CATALOG}delete/{unused.pk}/")

    assert response.status_code == 302
    assert not CatalogEntry.objects.filter(pk=unused.pk).exists()
    assert TraceEntry.objects.get(action="catalog.entry_deleted").actor == committee


def test_an_entry_that_topics_use_cannot_be_deleted(committee_client, place):
    proposed_topic(place)
    before = TraceEntry.objects.count()

    response = committee_client.post(f"{CATALOG}delete/{place.entry.pk}/", follow=True)

    assert "Topics or entries still belong to this entry; it can be renamed, not deleted." in (
        response.content.decode()
    )
    assert CatalogEntry.objects.filter(pk=place.entry.pk).exists()
    assert TraceEntry.objects.count() == before


@pytest.mark.parametrize("rows", [1, 50])
def test_catalog_listing_query_count_does_not_grow_with_rows(
    committee_client, place, django_assert_max_num_queries, rows
):
    group = CatalogEntryFactory(community=place.community, name="分组")
    for n in range(rows):
        CatalogEntryFactory(community=place.community, parent=group, name=f"事项{n}")

    with django_assert_max_num_queries(21):
        response = committee_client.get(CATALOG)

    assert response.status_code == 200
    assert response.content.decode().count("事项") >= rows
