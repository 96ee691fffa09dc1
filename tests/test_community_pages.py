"""The community's corner of the site: its pages appear by themselves, its home page
shows what is current, its feeds carry what it publishes, and its search finds any
substring, Chinese included."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Task,
    Workflow,
    WorkflowPage,
)
from wagtail.rich_text import RichText

from cms import feeds, services
from cms.models import (
    CommunityPage,
    DisclosureIndexPage,
    DisclosurePage,
    HomePage,
    MinutesIndexPage,
    NoticeIndexPage,
    NoticePage,
    PactIndexPage,
    Withdrawal,
)
from cms.views import community as community_views
from deliberation.models import Community, Role
from deliberation.roles import group_for
from deliberation.services.imports import import_dwellings
from deliberation.services.people import ensure_community_groups
from deliberation.services.places import save_place

from .factories import BuildingFactory, CommunityFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
PARKING_NOTICE = "《关于小区停车位调整的通知》"
REGISTER_ROW = {
    "compound": "新华小区",
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


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def community_page(community) -> CommunityPage:
    return services.provision_community(community)


@pytest.fixture
def other_community_page(other_community) -> CommunityPage:
    return services.provision_community(other_community)


def section(community_page: CommunityPage, model):
    return model.objects.child_of(community_page).get()


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def publish(
    parent: Page, page: Page, *, published: dt.datetime | None = None, revision: bool = True
) -> Page:
    """Publish a new page under `parent` as the editor would, optionally dated back; lists
    of many pages skip the revision (a live page with its dates is all a list reads)."""
    if revision:
        page.live = False
        parent.add_child(instance=page)
        page.save_revision().publish()
    else:
        page.first_published_at = page.last_published_at = published or timezone.now()
        parent.add_child(instance=page)
    if published is not None:
        type(page).objects.filter(pk=page.pk).update(
            first_published_at=published, last_published_at=published
        )
    page.refresh_from_db()
    return page


def notice(community_page, title="停水通知", text="明天上午停水。", **fields) -> NoticePage:
    how = {name: fields.pop(name) for name in ("published", "revision") if name in fields}
    page = NoticePage(title=title, body=f"<p>{text}</p>", **fields)
    return publish(section(community_page, NoticeIndexPage), page, **how)


def disclosure(community_page, title="2025年第一季度财务公开", text="", **fields) -> DisclosurePage:
    how = {name: fields.pop(name) for name in ("published", "revision") if name in fields}
    values = {"category": "finance", "period_kind": "quarter", "year": 2025, "period_number": 1}
    values.update(fields)
    body = [("paragraph", RichText(f"<p>{text}</p>"))] if text else []
    page = DisclosurePage(title=title, body=body, **values)
    return publish(section(community_page, DisclosureIndexPage), page, **how)


def draft(parent: Page, page: Page) -> Page:
    """A page saved but never published."""
    page.live = False
    parent.add_child(instance=page)
    page.save_revision()
    return page


def card_of(body: str, title: str) -> str:
    """The HTML of the card (an <article>) that shows `title`."""
    at = body.index(title)
    return body[body.rindex("<article", 0, at) : body.index("</article>", at)]


def page_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Page, GroupPagePermission, Workflow, Task, WorkflowPage, Group)
    }


# A community gets its pages by itself -----------------------------------------------------


def assert_provisioned(community: Community) -> None:
    page = CommunityPage.objects.get(community=community)
    assert page.live and page.title == community.name
    assert isinstance(page.get_parent().specific, HomePage)
    sections = [child.specific for child in page.get_children()]
    assert [type(child) for child in sections] == [
        NoticeIndexPage,
        DisclosureIndexPage,
        PactIndexPage,
        MinutesIndexPage,
    ]
    assert all(child.live for child in sections)
    notices, disclosures = sections[0], sections[1]
    for kind in (Role.Kind.RESIDENTS_COMMITTEE, Role.Kind.PARTY_ORGANISATION):
        granted = set(
            GroupPagePermission.objects.filter(group=group_for(community, kind)).values_list(
                "page_id", "permission__codename"
            )
        )
        assert granted == {
            (page.pk, "add_page"),
            (page.pk, "change_page"),
            (notices.pk, "publish_page"),
        }
    supervisors = group_for(community, Role.Kind.SUPERVISORY_COMMITTEE)
    assert not GroupPagePermission.objects.filter(group=supervisors).exists()
    workflow = disclosures.get_workflow()
    assert workflow is not None and workflow.active
    (task,) = [task.specific for task in workflow.tasks.all()]
    assert isinstance(task, GroupApprovalTask)
    assert list(task.groups.all()) == [supervisors]
    assert notices.get_workflow() is None


def test_community_created_in_the_back_office_gets_pages_rights_and_workflow():
    superuser = with_totp(UserFactory(is_superuser=True, is_staff=True))
    created = save_place(superuser, Community(name="新建社区", district="测试区"), created=True)
    assert_provisioned(created)


def test_community_created_by_importing_its_register_gets_pages_rights_and_workflow():
    import_dwellings("登记册社区", [REGISTER_ROW])
    assert_provisioned(Community.objects.get(name="登记册社区"))


def test_provisioning_again_creates_nothing_new(community):
    ensure_community_groups(community)
    before = page_counts()
    services.provision_community(community)
    ensure_community_groups(community)
    import_dwellings(community.name, [REGISTER_ROW])
    assert page_counts() == before
    assert_provisioned(community)


def test_each_community_has_its_own_pages_and_workflow(community, other_community):
    ensure_community_groups(community)
    ensure_community_groups(other_community)
    mine, theirs = (CommunityPage.objects.get(community=c) for c in (community, other_community))
    assert mine.pk != theirs.pk
    assert_provisioned(community)
    assert_provisioned(other_community)
    workflows = {section(p, DisclosureIndexPage).get_workflow().pk for p in (mine, theirs)}
    assert len(workflows) == 2


# The site's home page lists the communities ------------------------------------------------


def test_home_page_links_to_every_community_page(client, community_page, other_community_page):
    body = client.get("/").content.decode()
    for page in (community_page, other_community_page):
        assert f'<a href="{page.url}">{page.title}</a>' in body
    assert 'action="/pages/search/"' in body


def test_home_page_leaves_out_an_unpublished_community_page(client, community_page):
    community_page.unpublish()
    assert community_page.title not in client.get("/").content.decode()


@pytest.mark.parametrize("communities", [1, 50])
def test_home_page_query_count_does_not_grow_with_communities(
    client, communities, django_assert_max_num_queries
):
    home = HomePage.objects.get()
    for _ in range(communities):
        community = CommunityFactory()
        home.add_child(instance=CommunityPage(title=community.name, community=community))
    with django_assert_max_num_queries(6):
        response = client.get("/")
    listed = response.content.decode().split('class="community-list"')[1].split("</ul>")[0]
    assert listed.count("<li>") == communities


# The community's home page ----------------------------------------------------------------


def test_community_page_shows_name_intro_sections_search_and_feeds(client, community_page):
    community_page.intro = "<p>欢迎来到幸福里。</p>"
    community_page.save_revision().publish()
    body = client.get(community_page.url).content.decode()
    assert "<h1>幸福里社区</h1>" in body and "欢迎来到幸福里。" in body
    for model in (NoticeIndexPage, DisclosureIndexPage, PactIndexPage, MinutesIndexPage):
        index = section(community_page, model)
        assert f'<a href="{index.url}">{index.title}</a>' in body
    assert f'action="/pages/communities/{community_page.pk}/search/"' in body
    atom = f"/pages/communities/{community_page.pk}/feed/atom/"
    rss = f"/pages/communities/{community_page.pk}/feed/rss/"
    head = body.split("</head>")[0]
    assert f'<link rel="alternate" type="application/atom+xml" href="{atom}"' in head
    assert f'<link rel="alternate" type="application/rss+xml" href="{rss}"' in head
    assert "No notices are in force now." in body
    assert "No disclosures have been published yet." in body


def test_community_page_shows_current_notices_pinned_first_and_urgent_marked(
    client, community_page, other_community_page
):
    notice(community_page, "旧的通知", valid_from=days_ago(3))
    notice(community_page, "置顶的通知", valid_from=days_ago(10), pinned=True)
    notice(community_page, "紧急停电通知", valid_from=days_ago(1), urgency="urgent")
    notice(community_page, "过期的通知", valid_from=days_ago(10), valid_until=days_ago(2))
    notice(community_page, "下周的通知", valid_from=days_ago(-7))
    notice(other_community_page, "别的社区的通知")
    draft(section(community_page, NoticeIndexPage), NoticePage(title="草稿通知", body="<p>x</p>"))

    body = client.get(community_page.url).content.decode()

    shown = ["置顶的通知", "紧急停电通知", "旧的通知"]
    positions = [body.index(title) for title in shown]
    assert positions == sorted(positions)
    for hidden in ("过期的通知", "下周的通知", "别的社区的通知", "草稿通知"):
        assert hidden not in body
    assert "Urgent</span>" in card_of(body, "紧急停电通知")
    assert "Pinned</span>" in card_of(body, "置顶的通知")
    assert "Urgent</span>" not in card_of(body, "旧的通知")
    notices = section(community_page, NoticeIndexPage)
    assert f'<a href="{notices.url}">All notices</a>' in body


def test_community_page_shows_at_most_five_notices_and_five_disclosures(client, community_page):
    for number in range(1, 7):
        notice(community_page, f"通知{number}号", valid_from=days_ago(number))
        disclosure(community_page, f"{number}月公开", period_kind="month", period_number=number)

    body = client.get(community_page.url).content.decode()

    assert [n for n in range(1, 7) if f"通知{n}号" in body] == [1, 2, 3, 4, 5]
    assert [n for n in range(1, 7) if f"{n}月公开" in body] == [2, 3, 4, 5, 6]
    disclosures = section(community_page, DisclosureIndexPage)
    assert f'<a href="{disclosures.url}">All disclosures</a>' in body


def test_community_page_shows_each_disclosure_with_category_and_period(
    client, community_page, committee
):
    party = disclosure(community_page, "党员发展情况", category="party", period_kind="year")
    disclosure(
        community_page, "三月居务公开", category="residence", period_kind="month", period_number=3
    )
    Withdrawal.objects.create(page=party, reason="数字有误", withdrawn_by=committee)

    body = client.get(community_page.url).content.decode()

    party_card, residence_card = (
        card_of(body, title) for title in ("党员发展情况", "三月居务公开")
    )
    assert "party affairs</span>" in party_card and "year 2025" in party_card
    assert "Withdrawn</span>" in party_card
    assert "residence affairs</span>" in residence_card and "2025, month 3" in residence_card
    assert "Withdrawn" not in residence_card


@pytest.mark.parametrize("rows", [1, 50])
def test_community_page_query_count_does_not_grow_with_notices_and_disclosures(
    client, community_page, rows, django_assert_max_num_queries
):
    building = BuildingFactory(compound__community=community_page.community)
    for number in range(rows):
        notice(
            community_page,
            f"通知{number}",
            building=building,
            compound=building.compound,
            revision=False,
        )
        disclosure(community_page, f"公开{number}", revision=False)
    with django_assert_max_num_queries(11):
        response = client.get(community_page.url)
    body = response.content.decode()
    assert body.count('class="card notice-card') == body.count('class="card disclosure-card')
    assert body.count('class="card disclosure-card') == min(rows, 5)


# Pacts and minutes sections ----------------------------------------------------------------


def test_empty_section_says_nothing_is_published_yet(client, community_page):
    pacts = section(community_page, PactIndexPage)
    body = client.get(pacts.url).content.decode()
    assert f"<h1>{pacts.title}</h1>" in body
    assert "Nothing has been published here yet." in body


@pytest.mark.parametrize("rows", [1, 50])
def test_section_lists_its_published_pages_newest_first_in_constant_queries(
    client, community_page, rows, django_assert_max_num_queries
):
    pacts = section(community_page, PactIndexPage)
    for number in range(rows):
        page = Page(title=f"第{number}版居民公约")
        publish(pacts, page, published=days_ago(rows - number), revision=False)
    draft(pacts, Page(title="未发布的公约"))
    with django_assert_max_num_queries(11):
        body = client.get(pacts.url).content.decode()
    assert body.count("版居民公约</a>") == rows
    assert "未发布的公约" not in body
    if rows > 1:
        assert body.index(f"第{rows - 1}版居民公约") < body.index("第0版居民公约")


# Feeds ------------------------------------------------------------------------------------


def feed_of(client, page: CommunityPage, kind: str) -> ET.Element:
    response = client.get(f"/pages/communities/{page.pk}/feed/{kind}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/atom+xml" if kind == "atom" else "application/rss+xml"
    )
    return ET.fromstring(response.content)  # noqa: S314 (our own feed)


@pytest.fixture
def published(community_page, other_community_page, committee):
    """A notice, a disclosure and a withdrawn disclosure, published a day apart, and
    pages that no feed of this community carries."""
    building = BuildingFactory(compound__community=community_page.community, name="3号楼")
    pages = {
        "notice": notice(
            community_page,
            "3号楼电梯检修",
            "电梯<b>周三</b>停运一天。",
            building=building,
            compound=building.compound,
            urgency="urgent",
            published=days_ago(1),
        ),
        "disclosure": disclosure(
            community_page, "一季度财务公开", summary="收支情况。", published=days_ago(2)
        ),
        "withdrawn": disclosure(
            community_page,
            "二月居务公开",
            category="residence",
            period_kind="month",
            period_number=2,
            published=days_ago(3),
        ),
    }
    Withdrawal.objects.create(page=pages["withdrawn"], reason="重复发布", withdrawn_by=committee)
    notice(other_community_page, "别的社区的通知")
    draft(section(community_page, NoticeIndexPage), NoticePage(title="草稿通知", body="<p>x</p>"))
    return pages


def test_atom_feed_carries_live_notices_and_disclosures_newest_first(
    client, community_page, published
):
    feed = feed_of(client, community_page, "atom")

    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "幸福里社区: notices and disclosures"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "幸福里社区"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == f"http://testserver/pages/communities/{community_page.pk}/feed/atom/"
    assert links["alternate"] == f"http://testserver{community_page.url}"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "3号楼电梯检修",
        "一季度财务公开",
        "[withdrawn] 二月居务公开",
    ]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == f"http://testserver{published['notice'].url}"
    assert first.findtext(f"{ATOM}published") == published["notice"].first_published_at.isoformat()
    assert first.findtext(f"{ATOM}updated") == published["notice"].last_published_at.isoformat()
    scope = f"{published['notice'].compound.name} 3号楼"
    assert first.findtext(f"{ATOM}summary") == f"{scope} · 电梯周三停运一天。"
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == ["Notice", "Urgent"]
    second = entries[1]
    assert second.findtext(f"{ATOM}summary") == "finance · 2025, quarter 1 · 收支情况。"
    assert [c.get("term") for c in second.findall(f"{ATOM}category")] == [
        "Disclosure",
        "finance",
    ]


def test_rss_feed_carries_the_same_items_with_dates_and_absolute_links(
    client, community_page, published
):
    feed = feed_of(client, community_page, "rss")

    assert feed.tag == "rss" and feed.get("version") == "2.0"
    channel = feed.find("channel")
    assert channel.findtext("link") == f"http://testserver{community_page.url}"
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [
        "3号楼电梯检修",
        "一季度财务公开",
        "[withdrawn] 二月居务公开",
    ]
    withdrawn = items[2]
    assert withdrawn.findtext("link") == f"http://testserver{published['withdrawn'].url}"
    assert withdrawn.findtext("description") == "residence affairs · 2025, month 2"
    assert withdrawn.findtext("pubDate").endswith(
        published["withdrawn"].first_published_at.strftime("%Y %H:%M:%S +0000")
    )
    assert [c.text for c in withdrawn.findall("category")] == ["Disclosure", "residence affairs"]


def test_feed_keeps_only_the_newest_items(client, community_page, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_ITEMS", 3)
    for number in range(4):
        notice(community_page, f"通知{number}", published=days_ago(10 - number))
    feed = feed_of(client, community_page, "atom")
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["通知3", "通知2", "通知1"]


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feed_of_an_unknown_or_unpublished_community_page_is_not_found(
    client, community_page, kind
):
    notices = section(community_page, NoticeIndexPage)
    assert client.get(f"/pages/communities/{notices.pk}/feed/{kind}/").status_code == 404
    assert client.get(f"/pages/communities/999999/feed/{kind}/").status_code == 404
    community_page.unpublish()
    assert client.get(f"/pages/communities/{community_page.pk}/feed/{kind}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_feed_query_count_does_not_grow_with_items(
    client, community_page, committee, rows, django_assert_max_num_queries
):
    building = BuildingFactory(compound__community=community_page.community)
    for number in range(rows):
        notice(
            community_page,
            f"通知{number}",
            building=building,
            compound=building.compound,
            revision=False,
        )
        withdrawn = disclosure(community_page, f"公开{number}", revision=False)
        Withdrawal.objects.create(page=withdrawn, reason="重复", withdrawn_by=committee)
    for kind, item in (("atom", "<entry>"), ("rss", "<item>")):
        with django_assert_max_num_queries(4):
            response = client.get(f"/pages/communities/{community_page.pk}/feed/{kind}/")
        assert response.content.decode().count(item) == min(2 * rows, feeds.FEED_ITEMS)


# Search ----------------------------------------------------------------------------------


def search(client, page: CommunityPage | None, q: str):
    url = f"/pages/communities/{page.pk}/search/" if page else "/pages/search/"
    return client.get(url, {"q": q})


@pytest.fixture
def parking(community_page, other_community_page):
    """Pages that mention parking, in and out of reach of this community's search."""
    notices = section(community_page, NoticeIndexPage)
    pages = {
        "notice": notice(
            community_page, PARKING_NOTICE, "新的停车规则从下月起施行。", published=days_ago(1)
        ),
        "disclosure": disclosure(
            community_page,
            "2025年第一季度居务公开",
            "本季度新划停车位四十个，收费标准不变。",
            category="residence",
            published=days_ago(2),
        ),
        "elsewhere": notice(other_community_page, "向阳社区停车管理通知"),
    }
    draft(notices, NoticePage(title="停车场改造（草稿）", body="<p>草稿</p>"))
    unchanged = disclosure(
        community_page, "一月财务公开", "水电费。", period_kind="month", period_number=1
    )
    unchanged.body = [("paragraph", RichText("<p>尚未发布的停车收费修改。</p>"))]
    unchanged.save_revision()
    assert DisclosurePage.objects.get(pk=unchanged.pk).has_unpublished_changes
    return pages


def test_search_finds_a_chinese_substring_in_titles_and_texts(client, community_page, parking):
    response = search(client, community_page, "停车")
    assert response.status_code == 200
    results = response.context["results"]
    assert [result.page.pk for result in results] == [
        parking["notice"].pk,
        parking["disclosure"].pk,
    ]
    body = response.content.decode()
    assert "2 results for “停车”" in body
    assert "《关于小区<mark>停车</mark>位调整的通知》" in body
    assert '<p class="excerpt">本季度新划<mark>停车</mark>位四十个，收费标准不变。</p>' in body
    assert "Notice</span>" in body and "Disclosure: residence affairs</span>" in body
    assert f'<a href="{parking["notice"].url}">' in body
    assert parking["notice"].first_published_at.strftime("%Y-%m-%d") in body


def test_search_leaves_out_drafts_unpublished_changes_and_other_communities(
    client, community_page, parking
):
    body = search(client, community_page, "停车").content.decode()
    for hidden in ("草稿", "尚未发布", "向阳社区", "一月财务公开"):
        assert hidden not in body


def test_search_reads_the_text_of_a_disclosure_not_its_markup_or_block_names(
    client, community_page, parking
):
    for markup in ("paragraph", "<p>", "type"):
        assert search(client, community_page, markup).context["results"] == []


def test_search_ignores_case_and_extra_spaces(client, community_page):
    notice(community_page, "WiFi 信号覆盖 调整", "公共区域的 WIFI 已开通。")
    response = search(client, community_page, "  wifi  ")
    assert [r.page.title for r in response.context["results"]] == ["WiFi 信号覆盖 调整"]
    body = response.content.decode()
    assert "<mark>WiFi</mark> 信号覆盖 调整" in body
    assert "公共区域的 <mark>WIFI</mark> 已开通。" in body


def test_excerpt_is_cut_around_the_first_match(client, community_page):
    before, after = "甲" * 100, "乙" * 100
    notice(community_page, "长通知", f"{before}停车{after}")
    body = search(client, community_page, "停车").content.decode()
    context = community_views.EXCERPT_CONTEXT
    assert f"…{'甲' * context}<mark>停车</mark>{'乙' * context}…" in body


def test_search_escapes_what_it_shows(client, community_page):
    notice(community_page, "<i>停车</i>的通知", "a <script>alert(1)</script> 停车")
    attack = "<script>alert('q')</script>"
    body = search(client, community_page, attack).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;q&#x27;)&lt;/script&gt;" in body
    body = search(client, community_page, "停车").content.decode()
    assert "<i>" not in body and "<script>alert" not in body
    assert "&lt;i&gt;<mark>停车</mark>&lt;/i&gt;的通知" in body


def test_search_refuses_a_query_longer_than_fifty_characters(client, community_page, parking):
    response = search(client, community_page, "停" * 51)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 50 characters (it has 51)." in body
    assert 'aria-invalid="true"' in body
    assert response.context["results"] == []
    assert "results for" not in body


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_search_explains_itself_and_searches_nothing(client, community_page, parking, q):
    response = search(client, community_page, q)
    body = response.content.decode()
    assert "Type a word or part of a word" in body
    assert response.context["results"] == []
    assert "results for" not in body


def test_search_finding_nothing_says_so(client, community_page, parking):
    body = search(client, community_page, "游泳池").content.decode()
    assert "0 results for “游泳池”" in body
    assert "Nothing published contains these words." in body


def test_search_caps_its_results_and_says_so(client, community_page, monkeypatch):
    monkeypatch.setattr(community_views, "RESULTS_SHOWN", 2)
    for number in range(3):
        notice(community_page, f"停车通知{number}", published=days_ago(10 - number))
    response = search(client, community_page, "停车")
    assert [r.page.title for r in response.context["results"]] == ["停车通知2", "停车通知1"]
    assert "Only the newest 2 results are shown." in response.content.decode()


def test_search_of_an_unknown_community_page_is_not_found(client, community_page):
    notices = section(community_page, NoticeIndexPage)
    assert client.get(f"/pages/communities/{notices.pk}/search/", {"q": "停车"}).status_code == 404


def test_site_search_finds_pages_of_every_community_and_names_it(
    client, community_page, other_community_page, parking
):
    response = search(client, None, "停车")
    results = response.context["results"]
    assert {r.page.pk: r.community.pk for r in results} == {
        parking["notice"].pk: community_page.pk,
        parking["disclosure"].pk: community_page.pk,
        parking["elsewhere"].pk: other_community_page.pk,
    }
    body = response.content.decode()
    assert "Search all communities" in body and "向阳社区" in body


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("everywhere", [False, True])
def test_search_query_count_does_not_grow_with_results(
    client, community_page, committee, rows, everywhere, django_assert_max_num_queries
):
    for number in range(rows):
        notice(community_page, f"停车通知{number}", revision=False)
        withdrawn = disclosure(community_page, f"公开{number}", "停车位", revision=False)
        Withdrawal.objects.create(page=withdrawn, reason="重复", withdrawn_by=committee)
    with django_assert_max_num_queries(5):
        response = search(client, None if everywhere else community_page, "停车")
    assert len(response.context["results"]) == min(2 * rows, community_views.RESULTS_SHOWN)


def test_searchable_text_reads_entities_as_the_characters_a_reader_sees(community_page):
    page = notice(community_page, title="水电通知", text="水&amp;电&nbsp;检修")
    assert "水&电\xa0检修" in NoticePage.objects.get(pk=page.pk).search_text
