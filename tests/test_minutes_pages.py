"""The community's minutes index: published minutes of its meetings, newest first, each
on a page of its own under the index; nothing unpublished and nothing of another
community."""

import datetime as dt

import pytest
from django.utils import timezone

from cms import services
from cms.models import MinutesIndexPage
from deliberation.models import Meeting, Minutes

from .factories import BuildingFactory, CouncilFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def index(community) -> MinutesIndexPage:
    return MinutesIndexPage.objects.child_of(services.provision_community(community)).get()


@pytest.fixture
def other_index(other_community) -> MinutesIndexPage:
    return MinutesIndexPage.objects.child_of(services.provision_community(other_community)).get()


def closed_meeting(community, title: str, **fields) -> Meeting:
    starts_at = fields.pop("starts_at", timezone.now() - dt.timedelta(days=1))
    return MeetingFactory(
        community=community,
        title=title,
        state=Meeting.State.CLOSED,
        starts_at=starts_at,
        opened_at=starts_at,
        closed_at=starts_at + dt.timedelta(hours=2),
        **fields,
    )


def minutes_of(meeting: Meeting, text: str = "一、会议议程\n二、表决结果", *, published=True):
    return Minutes.objects.create(
        meeting=meeting,
        text=text,
        published_at=(meeting.closed_at + dt.timedelta(hours=1)) if published else None,
    )


def test_published_minutes_are_listed_newest_first(client, index, community):
    older = minutes_of(
        closed_meeting(community, "第一次议事会", starts_at=timezone.now() - dt.timedelta(days=9))
    )
    newer = minutes_of(closed_meeting(community, "3号楼2单元加装电梯听证会", kind="hearing"))

    body = client.get(index.url).content.decode()

    assert f"<h1>{index.title}</h1>" in body
    assert body.index("3号楼2单元加装电梯听证会") < body.index("第一次议事会")
    assert f'href="{index.url}{newer.pk}/"' in body
    assert f'href="{index.url}{older.pk}/"' in body
    assert "Hearing" in body


def test_unpublished_minutes_and_those_of_another_community_are_not_listed(
    client, index, other_index, community, other_community
):
    minutes_of(closed_meeting(community, "草稿纪要的会议"), published=False)
    minutes_of(closed_meeting(other_community, "向阳社区议事会"))

    body = client.get(index.url).content.decode()

    assert "草稿纪要的会议" not in body
    assert "向阳社区议事会" not in body
    assert "No minutes have been published yet." in body
    assert "向阳社区议事会" in client.get(other_index.url).content.decode()


def test_minutes_page_shows_the_meeting_and_the_text_escaped_with_line_breaks(
    client, index, community
):
    building = BuildingFactory(compound__community=community, name="3号楼")
    meeting = closed_meeting(
        community,
        "3号楼2单元加装电梯听证会",
        kind=Meeting.Kind.HEARING,
        venue="3号楼前广场",
        compound=building.compound,
        building=building,
        entrance="2",
        council=CouncilFactory(community=community, name="3号楼楼栋议事会"),
        ends_at=timezone.now() - dt.timedelta(hours=20),
    )
    minutes = minutes_of(meeting, "出席：12人\n\n表决：同意9票<script>alert(1)</script>")

    response = client.get(f"{index.url}{minutes.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Minutes: 3号楼2单元加装电梯听证会" in body
    assert "Hearing" in body and "3号楼前广场" in body and "3号楼楼栋议事会" in body
    assert f"{timezone.localtime(meeting.starts_at):%Y-%m-%d %H:%M}" in body
    assert "<p>出席：12人</p>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert f'href="/meetings/{meeting.pk}/"' in body
    assert f'<a href="{index.url}">{index.title}</a>' in body


@pytest.mark.parametrize("which", ["unpublished", "other_community", "missing"])
def test_minutes_not_published_here_are_not_found(
    client, index, other_index, community, other_community, which
):
    minutes = {
        "unpublished": lambda: minutes_of(closed_meeting(community, "未发布"), published=False),
        "other_community": lambda: minutes_of(closed_meeting(other_community, "向阳")),
        "missing": lambda: Minutes(pk=999_999),
    }[which]()

    assert client.get(f"{index.url}{minutes.pk}/").status_code == 404


def test_paths_that_are_not_minutes_ids_are_not_found(client, index):
    assert client.get(f"{index.url}abc/").status_code == 404
    assert client.get(f"{index.url}1/extra/").status_code == 404


def test_the_index_shows_twenty_minutes_a_page(client, index, community):
    for number in range(21):
        minutes_of(
            closed_meeting(
                community,
                f"第{number}次会议",
                starts_at=timezone.now() - dt.timedelta(days=30 - number),
            )
        )

    first = client.get(index.url).content.decode()
    second = client.get(index.url, {"page": 2}).content.decode()

    assert first.count('class="card minutes-card"') == 20
    assert second.count('class="card minutes-card"') == 1
    assert "第0次会议" in second and "第0次会议" not in first


@pytest.mark.parametrize("rows", [1, 20])
def test_the_index_reads_in_constant_queries(
    client, index, community, rows, django_assert_max_num_queries
):
    for number in range(rows):
        minutes_of(closed_meeting(community, f"第{number}次会议"))

    with django_assert_max_num_queries(13):
        body = client.get(index.url).content.decode()

    assert body.count('class="card minutes-card"') == rows
