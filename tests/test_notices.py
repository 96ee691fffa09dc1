"""Notices (公告): who they reach, the board and the inbox, confirming an urgent one has
been read, the reads by building, the mail when first published, the A4 sheet and the
editor's form."""

import datetime as dt
import re

import pytest
import segno
from django.core import mail
from django.test import Client
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction
from wagtail.test.utils.form_data import nested_form_data, rich_text

from cms import queries, services
from cms.models import NoticeIndexPage, NoticeMailing, NoticePage, NoticeRead
from cms.policies import reach_of
from cms.views.notices import QR_ERROR_CORRECTION, QR_SCALE
from deliberation.models import Membership

from .factories import (
    BuildingFactory,
    CompoundFactory,
    MembershipFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
)

pytestmark = pytest.mark.django_db

INBOX = "/pages/inbox/"
HOME = "/me/"
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def board(community) -> NoticeIndexPage:
    """The community's notice index, under the page tree every community gets."""
    home = services.provision_community(community)
    return NoticeIndexPage.objects.child_of(home).get()


@pytest.fixture
def compound(community):
    return CompoundFactory(community=community, name="幸福里小区")


@pytest.fixture
def building(compound):
    return BuildingFactory(compound=compound, name="3号楼")


@pytest.fixture
def neighbour_building(compound):
    return BuildingFactory(compound=compound, name="5号楼")


@pytest.fixture
def other_compound_building(community):
    return BuildingFactory(compound__community=community, compound__name="阳光小区", name="1号楼")


def live_in(building, user=None, status=Membership.Status.VERIFIED, **kwargs):
    """A person with a membership (verified unless said otherwise) in a new dwelling of
    `building`."""
    return MembershipFactory(
        user=user or UserFactory(**kwargs), dwelling__building=building, status=status
    ).user


@pytest.fixture
def neighbour(building):
    return live_in(building, display_name="张阿姨")


def publish(board, title="关于停水的通知", **fields) -> NoticePage:
    fields.setdefault("valid_from", timezone.now() - HOUR)
    fields.setdefault("body", "<p>明天上午九点到十二点停水，请提前储水。</p>")
    notice = NoticePage(title=title, **fields)
    board.add_child(instance=notice)
    notice.save_revision().publish()
    return notice


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inbox_titles(user) -> list[str]:
    response = client_of(user).get(INBOX)
    assert response.status_code == 200
    return [notice.title for notice in response.context["page"].object_list]


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', html)


# ---------------------------------------------------------------- who a notice reaches


def test_community_wide_notice_reaches_residents_of_every_compound(
    board, neighbour, other_compound_building
):
    far = live_in(other_compound_building)
    publish(board, "社区通知")

    assert inbox_titles(neighbour) == ["社区通知"]
    assert inbox_titles(far) == ["社区通知"]


def test_compound_notice_reaches_its_compound_only(
    board, compound, neighbour, neighbour_building, other_compound_building
):
    same_compound = live_in(neighbour_building)
    far = live_in(other_compound_building)
    publish(board, "小区通知", compound=compound)

    assert inbox_titles(neighbour) == ["小区通知"]
    assert inbox_titles(same_compound) == ["小区通知"]
    assert inbox_titles(far) == []


def test_building_notice_reaches_its_building_only(
    board, compound, building, neighbour, neighbour_building
):
    next_door = live_in(neighbour_building)
    publish(board, "3号楼电梯检修", compound=compound, building=building)

    assert inbox_titles(neighbour) == ["3号楼电梯检修"]
    assert inbox_titles(next_door) == []


def test_resident_of_another_community_sees_none_of_its_notices(board, other_community):
    stranger = live_in(BuildingFactory(compound__community=other_community))
    publish(board, "社区通知")

    assert inbox_titles(stranger) == []


@pytest.mark.parametrize("status", [Membership.Status.PENDING, Membership.Status.REJECTED])
def test_membership_not_yet_verified_brings_no_notices(board, building, status):
    claimant = live_in(building, status=status)
    publish(board, "社区通知")

    assert inbox_titles(claimant) == []


def test_notice_is_shown_from_its_first_moment_and_not_at_its_last(board, neighbour):
    start = timezone.now() + dt.timedelta(days=1)
    notice = publish(board, valid_from=start, valid_until=start + dt.timedelta(days=2))
    reach = reach_of(neighbour)

    def shown(at):
        return (
            list(queries.notices_for(neighbour, reach, now=at)),
            list(queries.current_notices_under(board, now=at)),
            list(queries.past_notices_under(board, now=at)),
        )

    assert shown(start - dt.timedelta(microseconds=1)) == ([], [], [])
    assert shown(start) == ([notice], [notice], [])
    assert shown(notice.valid_until) == ([], [], [notice])


def test_draft_and_unpublished_notices_reach_nobody(board, neighbour):
    notice = publish(board, "撤下的通知")
    notice.unpublish()
    draft = NoticePage(
        title="草稿", valid_from=timezone.now() - HOUR, body="<p>草稿</p>", live=False
    )
    board.add_child(instance=draft)
    draft.save_revision()

    assert inbox_titles(neighbour) == []


# ---------------------------------------------------------------- the inbox and the home page


def test_inbox_marks_urgent_notices_not_yet_confirmed(board, neighbour):
    unread = publish(board, "紧急：燃气检修", urgency=NoticePage.Urgency.URGENT)
    read = publish(board, "紧急：停电", urgency=NoticePage.Urgency.URGENT)
    publish(board, "普通通知")
    services.confirm_read(neighbour, read)

    page = client_of(neighbour).get(INBOX).content.decode()

    cards = {card_titles(card)[0]: card for card in page.split("<article")[1:]}
    assert set(cards) == {unread.title, read.title, "普通通知"}
    assert "Not yet confirmed" in cards[unread.title]
    assert "Not yet confirmed" not in cards[read.title]
    assert "Not yet confirmed" not in cards["普通通知"]


def test_inbox_puts_pinned_then_urgent_then_newest_first(board, neighbour):
    now = timezone.now()
    publish(board, "旧的", valid_from=now - 3 * HOUR)
    publish(board, "新的", valid_from=now - HOUR)
    publish(board, "紧急", valid_from=now - 2 * HOUR, urgency=NoticePage.Urgency.URGENT)
    publish(board, "置顶", valid_from=now - 5 * HOUR, pinned=True)

    assert inbox_titles(neighbour) == ["置顶", "紧急", "新的", "旧的"]


def test_inbox_asks_strangers_to_sign_in(client, board):
    response = client.get(INBOX)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_shows_the_residents_current_notices(board, neighbour):
    publish(board, "社区通知")

    page = client_of(neighbour).get(HOME).content.decode()

    assert "Notices for me" in page
    assert "社区通知" in page
    assert f'href="{INBOX}"' in page


def test_home_of_someone_without_a_verified_home_has_no_notices_panel(board, building):
    claimant = live_in(building, status=Membership.Status.PENDING)
    publish(board, "社区通知")

    page = client_of(claimant).get(HOME).content.decode()

    assert "Notices for me" not in page
    assert "社区通知" not in page


@pytest.mark.parametrize("url", [INBOX, HOME])
def test_inbox_and_home_query_count_does_not_grow_with_notices(
    board, neighbour, url, django_assert_max_num_queries
):
    client = client_of(neighbour)
    publish(board, "通知0", urgency=NoticePage.Urgency.URGENT)
    with django_assert_max_num_queries(30) as one:
        assert client.get(url).status_code == 200
    for n in range(1, 50):
        publish(board, f"通知{n}", urgency=NoticePage.Urgency.URGENT, pinned=n % 2 == 0)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


# ---------------------------------------------------------------- the notice board


def test_board_lists_current_notices_in_order_and_past_ones_apart(client, board):
    now = timezone.now()
    publish(board, "旧的", valid_from=now - 3 * HOUR)
    publish(board, "新的", valid_from=now - HOUR)
    publish(board, "紧急", valid_from=now - 2 * HOUR, urgency=NoticePage.Urgency.URGENT)
    publish(board, "置顶", valid_from=now - 5 * HOUR, pinned=True)
    publish(board, "过期的", valid_from=now - 9 * HOUR, valid_until=now - 8 * HOUR)
    publish(board, "还没开始", valid_from=now + HOUR)

    response = client.get(board.url)

    assert response.status_code == 200
    current, past = response.content.decode().split('id="past-h"')
    assert re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', current) == [
        "置顶",
        "紧急",
        "新的",
        "旧的",
    ]
    assert re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', past) == ["过期的"]
    assert "Pinned" in current
    assert "Urgent" in current


def test_board_labels_each_notice_with_its_scope_and_dates(client, board, compound, building):
    notice = publish(
        board,
        compound=compound,
        building=building,
        valid_from=timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0)),
        valid_until=timezone.make_aware(dt.datetime(2099, 3, 2, 18, 0)),
    )

    page = client.get(board.url).content.decode()

    assert f"For {notice.building}" in page
    assert "valid 2026-03-01 09:00 to 2099-03-02 18:00" in page


def test_board_is_paginated(client, board):
    for n in range(21):
        publish(board, f"通知{n}")

    first = client.get(board.url).content.decode()
    second = client.get(board.url, {"page": 2}).content.decode()

    assert first.count("<h3>") == 20
    assert second.count("<h3>") == 1
    assert 'rel="next"' in first


def test_board_query_count_does_not_grow_with_notices(
    client, board, compound, building, django_assert_max_num_queries
):
    now = timezone.now()
    publish(board, "通知", building=building, compound=compound)
    publish(board, "过期", valid_from=now - 2 * HOUR, valid_until=now - HOUR, compound=compound)
    with django_assert_max_num_queries(30) as one:
        assert client.get(board.url).status_code == 200
    for n in range(49):
        publish(board, f"通知{n}", building=building, compound=compound)
        publish(board, f"过期{n}", valid_from=now - 2 * HOUR, valid_until=now - HOUR)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(board.url).status_code == 200


# ---------------------------------------------------------------- confirming an urgent notice


def test_urgent_notice_asks_the_residents_it_addresses_to_confirm(board, neighbour):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)

    page = client_of(neighbour).get(notice.url).content.decode()

    assert f'action="/pages/notices/{notice.pk}/read/"' in page
    assert "I have read this" in page


def test_confirming_records_one_reading_and_says_when(board, neighbour):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)
    client = client_of(neighbour)

    first = client.post(f"/pages/notices/{notice.pk}/read/")
    second = client.post(f"/pages/notices/{notice.pk}/read/")

    assert first.status_code == second.status_code == 302
    assert first["Location"] == notice.url
    assert NoticeRead.objects.filter(notice=notice, user=neighbour).count() == 1
    page = client.get(notice.url).content.decode()
    read_at = NoticeRead.objects.get().read_at
    assert f"You confirmed reading this notice on {timezone.localtime(read_at):%Y-%m-%d %H:%M}" in (
        page
    )
    assert "I have read this" not in page


def test_resident_the_notice_is_not_addressed_to_cannot_confirm(
    board, compound, building, neighbour_building
):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT, compound=compound, building=building)
    next_door = live_in(neighbour_building)
    client = client_of(next_door)

    assert "I have read this" not in client.get(notice.url).content.decode()
    response = client.post(f"/pages/notices/{notice.pk}/read/")

    assert response.status_code == 403
    assert "Only residents this notice is addressed to may confirm reading it." in (
        response.content.decode()
    )
    assert not NoticeRead.objects.exists()


def test_normal_notice_is_not_confirmed(board, neighbour):
    notice = publish(board)

    response = client_of(neighbour).post(f"/pages/notices/{notice.pk}/read/")

    assert response.status_code == 403
    assert not NoticeRead.objects.exists()


def test_stranger_is_sent_to_sign_in_before_confirming(client, board):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)

    response = client.post(f"/pages/notices/{notice.pk}/read/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not NoticeRead.objects.exists()


def test_confirming_is_a_post_only(board, neighbour):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)

    response = client_of(neighbour).get(f"/pages/notices/{notice.pk}/read/")

    assert response.status_code == 405
    assert not NoticeRead.objects.exists()


def test_confirming_needs_the_csrf_token(board, neighbour):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(neighbour)

    response = client.post(f"/pages/notices/{notice.pk}/read/")

    assert response.status_code == 403
    assert not NoticeRead.objects.exists()


# ---------------------------------------------------------------- reads by building, for staff


def reads_url(notice) -> str:
    return f"/admin/notices/{notice.pk}/reads/"


def table_rows(response) -> dict[str, list[str]]:
    """The reads table: building (or "total") → residents, read, not read, percent."""
    page = response.content.decode()
    return {
        name: re.findall(r"<td>([^<]*)</td>", cells)
        for name, cells in re.findall(r'<tr data-building="([^"]+)">(.*?)</tr>', page, re.S)
    }


def test_editor_sees_who_has_read_by_building(
    committee_client, board, compound, building, neighbour_building, other_compound_building
):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT, compound=compound)
    readers = [live_in(building), live_in(building)]
    live_in(building)
    live_in(building, status=Membership.Status.PENDING)
    live_in(neighbour_building)
    two_homes = live_in(neighbour_building)
    live_in(neighbour_building, user=two_homes)  # counted once in its building
    live_in(other_compound_building)  # outside the notice's compound
    for resident in [*readers, two_homes]:
        services.confirm_read(resident, notice)

    rows = table_rows(committee_client.get(reads_url(notice)))

    assert rows == {
        str(building): ["3", "2", "1", "66.67%"],
        str(neighbour_building): ["2", "1", "1", "50.00%"],
        "total": ["5", "3", "2", "60.00%"],
    }


def test_person_with_homes_in_two_buildings_counts_once_in_the_total(
    committee_client, board, building, neighbour_building
):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)
    person = live_in(building)
    live_in(neighbour_building, user=person)

    rows = table_rows(committee_client.get(reads_url(notice)))

    assert rows[str(building)] == ["1", "0", "1", "0.00%"]
    assert rows[str(neighbour_building)] == ["1", "0", "1", "0.00%"]
    assert rows["total"] == ["1", "0", "1", "0.00%"]


@pytest.mark.parametrize("kind", ["supervisory_committee", "property_company"])
def test_staff_who_do_not_edit_the_community_do_not_see_reads(client, board, community, kind):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)
    sign_in_staff(client, staff_of(community, kind))

    response = client.get(reads_url(notice))

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_editor_of_another_community_does_not_see_reads(client, board, other_community):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)
    sign_in_staff(client, staff_of(other_community))

    assert client.get(reads_url(notice)).status_code == 403


def test_reads_are_counted_for_urgent_notices_only(committee_client, board):
    notice = publish(board)

    assert committee_client.get(reads_url(notice)).status_code == 403


def test_editor_reaches_the_reads_from_the_notice_in_the_back_office(committee_client, board):
    urgent = publish(board, "紧急", urgency=NoticePage.Urgency.URGENT)
    normal = publish(board, "普通")

    assert (
        reads_url(urgent)
        in committee_client.get(f"/admin/pages/{urgent.pk}/edit/").content.decode()
    )
    assert (
        reads_url(normal)
        not in committee_client.get(f"/admin/pages/{normal.pk}/edit/").content.decode()
    )


def test_reads_query_count_does_not_grow_with_buildings(
    committee_client, board, compound, django_assert_max_num_queries
):
    notice = publish(board, urgency=NoticePage.Urgency.URGENT)
    reader = live_in(BuildingFactory(compound=compound))
    services.confirm_read(reader, notice)
    with django_assert_max_num_queries(40) as one:
        assert committee_client.get(reads_url(notice)).status_code == 200
    for _ in range(49):
        services.confirm_read(live_in(BuildingFactory(compound=compound)), notice)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = committee_client.get(reads_url(notice))
    assert len(table_rows(response)) == 51


# ---------------------------------------------------------------- mail when first published


def test_first_publication_mails_the_residents_in_scope_once(
    board, compound, building, neighbour_building, django_capture_on_commit_callbacks
):
    addressed = live_in(building, email="wang@example.cn")
    live_in(building)  # no email address
    live_in(building, status=Membership.Status.PENDING, email="pending@example.cn")
    live_in(neighbour_building, email="next-door@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        notice = publish(
            board,
            "3号楼停水",
            urgency=NoticePage.Urgency.URGENT,
            compound=compound,
            building=building,
        )

    assert [message.to for message in mail.outbox] == [[addressed.email]]
    message = mail.outbox[0]
    assert "3号楼停水" in message.subject
    assert "[Urgent]" in message.subject
    assert "明天上午九点到十二点停水" in message.body
    assert notice.get_full_url() in message.body
    assert NoticeMailing.objects.get(notice=notice).recipients == 1

    with django_capture_on_commit_callbacks(execute=True):
        notice.title = "3号楼停水（更正）"
        notice.save_revision().publish()

    assert len(mail.outbox) == 1


def test_the_mail_subject_keeps_the_title_as_written(
    board, building, django_capture_on_commit_callbacks
):
    live_in(building, email="wang@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        publish(board, "“加装电梯” & 'B&B' 说明会")

    assert "“加装电梯” & 'B&B' 说明会" in mail.outbox[0].subject


def test_mail_waits_for_the_publication_to_commit(
    board, building, django_capture_on_commit_callbacks
):
    live_in(building, email="wang@example.cn")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish(board)

    assert mail.outbox == []
    assert len(callbacks) == 1


# ---------------------------------------------------------------- the A4 sheet


def test_print_sheet_is_one_a4_page_with_a_qr_code_of_the_notice(client, board, building):
    notice = publish(
        board,
        "3号楼电梯检修",
        compound=building.compound,
        building=building,
        urgency=NoticePage.Urgency.URGENT,
    )

    response = client.get(f"/pages/notices/{notice.pk}/print/")

    assert response.status_code == 200
    page = response.content.decode()
    url = f"http://testserver{notice.url}"
    expected = segno.make(url, error=QR_ERROR_CORRECTION).svg_inline(scale=QR_SCALE)
    drawn = re.search(r'<svg[^>]*class="qr-code"[^>]*>(.*?)</svg>', page, re.S)
    assert drawn is not None
    assert drawn.group(1) == re.search(r"<svg[^>]*>(.*?)</svg>", expected, re.S).group(1)
    assert f'aria-label="QR code that opens {url}"' in page
    assert "<h1>3号楼电梯检修</h1>" in page
    assert "明天上午九点到十二点停水" in page
    assert f"For {building}" in page
    assert "幸福里社区 Residents' Committee" in page
    assert "css/notice-sheet.css" in page
    assert "Urgent notice" in page


def test_print_sheet_is_linked_from_the_notice(client, board):
    notice = publish(board)

    assert f'href="/pages/notices/{notice.pk}/print/"' in client.get(notice.url).content.decode()


def test_unpublished_notice_has_no_print_sheet(client, board):
    notice = publish(board)
    notice.unpublish()

    assert client.get(f"/pages/notices/{notice.pk}/print/").status_code == 404


def test_notice_for_signed_in_people_only_prints_for_them_only(client, board, neighbour):
    notice = publish(board)
    PageViewRestriction.objects.create(page=notice, restriction_type=PageViewRestriction.LOGIN)

    assert client.get(f"/pages/notices/{notice.pk}/print/").status_code == 404
    assert client_of(neighbour).get(f"/pages/notices/{notice.pk}/print/").status_code == 200


# ---------------------------------------------------------------- the editor's form


def notice_form(**fields) -> dict:
    data = {
        "title": "关于电梯检修的通知",
        "slug": "lift",
        "compound": "",
        "building": "",
        "urgency": "normal",
        "valid_from": "2026-05-01 09:00",
        "valid_until": "",
        "body": rich_text("<p>电梯检修。</p>", features=["bold"]),
        "action-publish": "publish",
        "comments": {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 0},
    }
    data.update(fields)
    return nested_form_data(data)


def add_url(board) -> str:
    return f"/admin/pages/add/cms/noticepage/{board.pk}/"


def test_editor_publishes_a_notice_for_one_building(committee_client, board, building):
    response = committee_client.post(
        add_url(board), notice_form(compound=building.compound.pk, building=building.pk)
    )

    assert response.status_code == 302
    notice = NoticePage.objects.get()
    assert notice.live
    assert notice.building == building


def test_editor_cannot_aim_a_notice_at_a_building_outside_its_compound(
    committee_client, board, compound, other_compound_building
):
    response = committee_client.post(
        add_url(board), notice_form(compound=compound.pk, building=other_compound_building.pk)
    )

    assert response.status_code == 200
    assert "This building is not in the chosen compound." in response.content.decode()
    assert not NoticePage.objects.exists()


def test_editor_cannot_end_a_notice_before_it_starts(committee_client, board):
    response = committee_client.post(
        add_url(board), notice_form(valid_from="2026-05-02 09:00", valid_until="2026-05-01 09:00")
    )

    assert response.status_code == 200
    assert "A notice must end after it starts." in response.content.decode()
    assert not NoticePage.objects.exists()


def test_editor_is_offered_only_the_places_of_their_community(
    committee_client, board, building, other_community
):
    foreign = BuildingFactory(compound__community=other_community)

    response = committee_client.post(
        add_url(board), notice_form(compound=foreign.compound.pk, building=foreign.pk)
    )

    assert response.status_code == 200
    assert not NoticePage.objects.exists()
    assert not Page.objects.filter(title="关于电梯检修的通知").exists()
