"""Pacts in the back office: who sees and starts which pacts, the two steps of starting
one from a pasted or uploaded text, every bad input refused with nothing written, the
pact's page and putting it to the vote, and a list whose queries do not grow with it."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deliberation.models import Article, Pact, PactVersion, TraceEntry
from deliberation.services import pacts, people
from deliberation.services.pacts import ArticleInput
from polls.models import Poll

from .factories import (
    BuildingFactory,
    CompoundFactory,
    CouncilFactory,
    DwellingFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    verified_member,
    with_totp,
)

pytestmark = pytest.mark.django_db

PACTS = "/admin/pacts/"
NEW_PACT = "/admin/pacts/new/"

TEXT = """幸福里小区家规

为营造文明和谐的居住环境，全体业主共同制定本家规。

第一章 文明居住
第一条【养犬】
养犬应当办理登记，出户牵绳。
第二条 停车
车辆按位停放，不占消防通道。
第二章 环境卫生
第三条 垃圾分类投放，定时定点。
"""


@pytest.fixture(autouse=True)
def _english_back_office(settings):
    """Wagtail answers in the staff member's language (the site default); these tests
    read the English wording."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def place(community, other_community):
    """A community with two compounds; 3号楼 of the first has four owners in entrance 2.
    Each place has its council, and so has the other community."""
    compound = CompoundFactory(community=community, name="幸福里一期")
    other_compound = CompoundFactory(community=community, name="幸福里二期")
    building = BuildingFactory(compound=compound, name="3号楼")
    dwellings = [
        DwellingFactory(
            building=building, entrance="2", number=f"{n}01", registered_area=Decimal("90.00")
        )
        for n in range(1, 5)
    ]
    return SimpleNamespace(
        community=community,
        other_community=other_community,
        compound=compound,
        other_compound=other_compound,
        building=building,
        dwellings=dwellings,
        owners=[verified_member(dwelling) for dwelling in dwellings],
        community_council=CouncilFactory(community=community, name="幸福里社区居民议事会"),
        council=CouncilFactory(community=community, compound=compound, name="一期小区议事会"),
        other_council=CouncilFactory(
            community=community, compound=other_compound, name="二期小区议事会"
        ),
        elsewhere_council=CouncilFactory(community=other_community, name="向阳社区议事会"),
    )


def seat(kind: str, community, compound=None):
    user = UserFactory()
    people.grant_role(None, user, kind, community, compound)
    user.refresh_from_db()
    return with_totp(user)


def actor(name: str, place):
    return {
        "residents_committee": lambda: staff_of(place.community, "residents_committee"),
        "owners_committee_of_compound": lambda: seat(
            "owners_committee", place.community, place.compound
        ),
        "property_company": lambda: staff_of(place.community, "property_company"),
        "supervisory_committee": lambda: staff_of(place.community, "supervisory_committee"),
        "residents_committee_elsewhere": lambda: staff_of(
            place.other_community, "residents_committee"
        ),
        "owners_committee_of_other_compound": lambda: seat(
            "owners_committee", place.community, place.other_compound
        ),
    }[name]()


def compound_pact(place, by=None, **fields) -> Pact:
    """House rules of the first compound, drafted by its council."""
    return pacts.create_pact(
        by or staff_of(place.community, "residents_committee"),
        kind=fields.pop("kind", Pact.Kind.HOUSE_RULES),
        title=fields.pop("title", "幸福里一期小区家规"),
        place=fields.pop("scope", place.compound),
        committee=fields.pop("committee", place.council),
        articles=[
            ArticleInput("养犬应当办理登记，出户牵绳。", heading="养犬"),
            ArticleInput("车辆按位停放，不占消防通道。", heading="停车"),
        ],
        **fields,
    )


def consolidating(place, staff) -> Pact:
    """A pact whose first version was open for amendments (one accepted, one rejected,
    one withdrawn) and is now being consolidated."""
    pact = compound_pact(place, by=staff)
    pacts.open_amendments(
        staff, pact, closes_at=timezone.now() + dt.timedelta(days=7), summary="初稿"
    )
    owners = place.owners
    accepted = pacts.propose_amendment(
        owners[0], pact, article_key=1, kind="replace", text="养犬须登记并牵绳。", rationale="简洁"
    )
    rejected = pacts.propose_amendment(
        owners[1], pact, article_key=2, kind="delete", rationale="不需要"
    )
    withdrawn = pacts.propose_amendment(
        owners[2], pact, article_key=2, kind="replace", text="车辆停放有序。", rationale="改"
    )
    pacts.decide_amendment(staff, accepted, accept=True)
    pacts.decide_amendment(staff, rejected, accept=False, reason="停车规定仍需要")
    pacts.withdraw_amendment(owners[2], withdrawn)
    pacts.consolidate(staff, pact)
    pact.refresh_from_db()
    return pact


def pact_data(where, /, **overrides) -> dict:
    data = {
        "kind": "house_rules",
        "title": "幸福里一期小区家规",
        "place": f"compound:{where.compound.pk}",
        "entrance": "",
        "committee": str(where.council.pk),
        "summary": "关于养犬、停车和垃圾分类的约定",
        "text": TEXT,
        "step": "preview",
    }
    data.update(overrides)
    return data


def txt(content: bytes, name: str = "家规.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def record_counts() -> tuple:
    """What a refused request must leave as it was."""
    return (
        tuple(model.objects.count() for model in (Pact, PactVersion, Article, Poll)),
        tuple(Pact.objects.order_by("pk").values_list("state", flat=True)),
        TraceEntry.objects.count(),
    )


def body_of(response) -> str:
    return response.content.decode()


def site_url(name: str, pact: Pact) -> str:
    try:
        return reverse(name, args=[pact.pk])
    except NoReverseMatch:
        pytest.skip(f"{name} is not on the site yet")


# ---------------------------------------------------------------- who may see and do what

# For a pact of the first compound: the pact page's status, whether the person may start
# pacts, and whether they are offered the vote once it is consolidated.
MATRIX = {
    "residents_committee": (200, True),
    "owners_committee_of_compound": (200, True),
    "property_company": (200, False),
    "supervisory_committee": (200, False),
    "residents_committee_elsewhere": (403, True),
    "owners_committee_of_other_compound": (403, True),
}


@pytest.mark.parametrize("who", MATRIX)
def test_pages_follow_the_seat(client, place, who):
    staff = staff_of(place.community, "residents_committee")
    pact = consolidating(place, staff)
    sign_in_staff(client, actor(who, place))
    status, starts = MATRIX[who]

    listing = body_of(client.get(PACTS))
    page = client.get(f"{PACTS}{pact.pk}/")

    assert (f'data-pact="{pact.pk}"' in listing) == (status == 200)
    assert (f'href="{NEW_PACT}"' in listing) == starts
    assert client.get(NEW_PACT).status_code == (200 if starts else 403)
    assert page.status_code == status
    if status == 200:
        assert "幸福里一期小区家规" in body_of(page)
        assert ('data-form="vote"' in body_of(page)) == starts
    else:
        assert "幸福里一期小区家规" not in body_of(page)


@pytest.mark.parametrize("who", ["property_company", "supervisory_committee"])
def test_seats_that_only_watch_start_nothing_and_put_nothing_to_the_vote(client, place, who):
    pact = consolidating(place, staff_of(place.community, "residents_committee"))
    sign_in_staff(client, actor(who, place))
    before = record_counts()

    preview = client.post(NEW_PACT, pact_data(place))
    confirm = client.post(NEW_PACT, pact_data(place, step="confirm"))
    vote = client.post(f"{PACTS}{pact.pk}/vote/", {"summary": "采纳修正案"})

    assert preview.status_code == confirm.status_code == vote.status_code == 403
    assert record_counts() == before


def test_another_communitys_committee_neither_sees_nor_starts_pacts_here(client, place):
    pact = compound_pact(place)
    sign_in_staff(client, actor("residents_committee_elsewhere", place))
    before = record_counts()

    form = body_of(client.get(NEW_PACT))
    started = client.post(NEW_PACT, pact_data(place, step="confirm"))
    vote = client.post(f"{PACTS}{pact.pk}/vote/", {"summary": "x"})

    assert f'value="community:{place.other_community.pk}"' in form
    assert f"compound:{place.compound.pk}" not in form
    assert f'value="{place.council.pk}"' not in form
    assert "Choose one of the places listed: your seats start pacts there only." in body_of(started)
    assert vote.status_code == 403
    assert record_counts() == before


def test_a_compound_seat_starts_pacts_in_its_compound_only(client, place):
    sign_in_staff(client, actor("owners_committee_of_compound", place))
    before = record_counts()

    form = body_of(client.get(NEW_PACT))
    community = client.post(
        NEW_PACT, pact_data(place, place=f"community:{place.community.pk}", step="confirm")
    )

    assert f'value="compound:{place.compound.pk}"' in form
    assert f'value="building:{place.building.pk}"' in form
    assert f'value="community:{place.community.pk}"' not in form
    assert f'value="compound:{place.other_compound.pk}"' not in form
    assert f'value="{place.other_council.pk}"' not in form
    assert "your seats start pacts there only" in body_of(community)
    assert record_counts() == before


def test_a_plain_resident_never_reaches_the_pact_back_office(client, place):
    pact = compound_pact(place)
    client.force_login(place.owners[0])
    before = record_counts()

    for response in (
        client.get(PACTS),
        client.get(f"{PACTS}{pact.pk}/"),
        client.post(NEW_PACT, pact_data(place, step="confirm")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/back-office/sign-in/")
    assert record_counts() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, place):
    pact = compound_pact(place)
    before = record_counts()

    for response in (
        client.get(PACTS),
        client.get(NEW_PACT),
        client.get(f"{PACTS}{pact.pk}/"),
        client.post(NEW_PACT, pact_data(place, step="confirm")),
        client.post(f"{PACTS}{pact.pk}/vote/", {"summary": "x"}),
    ):
        assert response.status_code == 302
        assert "login" in response["Location"] or "sign-in" in response["Location"]
    assert record_counts() == before


def test_unknown_pacts_are_not_found_and_the_vote_answers_only_post(committee_client, place):
    pact = compound_pact(place)

    assert committee_client.get(f"{PACTS}999999/").status_code == 404
    assert committee_client.post(f"{PACTS}999999/vote/").status_code == 404
    assert committee_client.get(f"{PACTS}{pact.pk}/vote/").status_code == 405


def test_staff_find_pacts_in_the_back_office_menu(client, place):
    sign_in_staff(client, actor("property_company", place))

    assert f'"{PACTS}"' in body_of(client.get("/admin/"))


# ---------------------------------------------------------------- starting a pact


def test_committee_checks_the_split_and_starts_the_pact(committee_client, committee, place):
    preview = committee_client.post(NEW_PACT, pact_data(place))

    body = body_of(preview)
    assert preview.status_code == 200
    assert Pact.objects.count() == 0
    assert 'data-form="confirm"' in body and 'value="confirm"' in body
    assert "为营造文明和谐的居住环境" in body
    assert body.count("data-article=") == 3
    for label in ("第一条", "第二条", "第三条", "【养犬】", "【停车】"):
        assert label in body
    assert "第一章 文明居住" in body and "第二章 环境卫生" in body
    assert "data-warnings" not in body and "data-blocking" not in body
    assert 'name="text" value="幸福里小区家规' in body

    confirmed = committee_client.post(NEW_PACT, pact_data(place, step="confirm"))

    pact = Pact.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"{PACTS}{pact.pk}/"
    assert (pact.kind, pact.title, pact.compound, pact.committee, pact.state) == (
        "house_rules",
        "幸福里一期小区家规",
        place.compound,
        place.council,
        "drafting",
    )
    assert pact.summary == "关于养犬、停车和垃圾分类的约定"
    draft = pact.versions.get()
    assert draft.preamble.startswith("幸福里小区家规")
    assert list(draft.articles.values_list("position", "heading", "chapter", "text")) == [
        (1, "养犬", "第一章 文明居住", "养犬应当办理登记，出户牵绳。"),
        (2, "停车", "第一章 文明居住", "车辆按位停放，不占消防通道。"),
        (3, "", "第二章 环境卫生", "垃圾分类投放，定时定点。"),
    ]
    assert TraceEntry.objects.get(action="pact.created").actor == committee
    assert "is started" in body_of(committee_client.get(confirmed["Location"]))


def test_the_unconfirmed_text_is_kept_in_the_form_only(committee_client, place):
    committee_client.post(NEW_PACT, pact_data(place))

    assert "养犬" not in str(dict(committee_client.session.items()))
    assert Pact.objects.count() == PactVersion.objects.count() == Article.objects.count() == 0


def test_going_back_from_the_split_keeps_what_was_entered(committee_client, place):
    before = record_counts()

    response = committee_client.post(NEW_PACT, pact_data(place, step="edit"))

    body = body_of(response)
    assert response.status_code == 200
    assert 'data-form="pact"' in body
    assert "第一条【养犬】" in body.split('name="text"')[1]
    assert 'value="幸福里一期小区家规"' in body
    assert f'<option value="{place.council.pk}" selected>' in body
    assert f'<option value="compound:{place.compound.pk}" selected>' in body
    assert "This field is required" not in body
    assert record_counts() == before


def test_numbering_as_written_is_warned_about_and_replaced(committee_client, place):
    text = "第一条 甲。\n第二条 乙。\n第五条 丙。\n第五条 丁。"

    body = body_of(committee_client.post(NEW_PACT, pact_data(place, text=text)))
    committee_client.post(NEW_PACT, pact_data(place, text=text, step="confirm"))

    assert "data-warnings" in body
    assert "The text jumps from article 2 to article 5." in body
    assert "The text repeats article 5." in body
    assert body.count("written as article 5") == 2
    assert 'value="confirm"' in body
    draft = Pact.objects.get().versions.get()
    assert list(draft.articles.values_list("position", "text")) == [
        (1, "甲。"),
        (2, "乙。"),
        (3, "丙。"),
        (4, "丁。"),
    ]


def test_an_empty_article_must_be_written_before_confirming(committee_client, place):
    text = "第一条 养犬应当登记。\n第二条\n第三条 车辆按位停放。"
    before = record_counts()

    preview = body_of(committee_client.post(NEW_PACT, pact_data(place, text=text)))
    confirmed = committee_client.post(NEW_PACT, pact_data(place, text=text, step="confirm"))

    assert "Article 2 is empty." in preview
    assert "data-blocking" in preview and "第二条 would be empty" in preview
    assert 'value="confirm"' not in preview and 'value="edit"' in preview
    assert "data-blocking" in body_of(confirmed)
    assert record_counts() == before


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "gb18030"],
)
def test_an_uploaded_text_file_is_read_in_utf8_or_gb18030(committee_client, place, encoding):
    upload = txt(TEXT.replace("\n", "\r\n").encode(encoding))

    preview = committee_client.post(NEW_PACT, pact_data(place, text="", upload=upload))

    body = body_of(preview)
    assert preview.status_code == 200 and 'value="confirm"' in body
    assert body.count("data-article=") == 3 and "养犬应当办理登记，出户牵绳。" in body
    hidden = body.split('name="text" value="')[1].split('"')[0]
    assert hidden.startswith("幸福里小区家规") and "\ufeff" not in hidden
    confirmed = committee_client.post(NEW_PACT, pact_data(place, text=hidden, step="confirm"))
    assert confirmed.status_code == 302
    assert Pact.objects.get().versions.get().articles.count() == 3


# Each bad input gets its message, at the split and at the confirmation alike.
BAD_PACTS = [
    ({"kind": ""}, "Choose the kind of pact."),
    ({"kind": "constitution"}, "Choose the kind of pact."),
    ({"title": ""}, "Give the pact a title."),
    ({"title": "   "}, "Give the pact a title."),
    ({"title": "x" * 101}, "A title has at most 100 characters."),
    ({"place": ""}, "Choose the place the pact is for."),
    ("elsewhere_place", "Choose one of the places listed: your seats start pacts there only."),
    ({"entrance": "2"}, "An entrance can only be chosen with a building."),
    ("missing_entrance", "has no dwellings in entrance 9."),
    ({"committee": ""}, "Choose the drafting committee."),
    (
        "other_compound_council",
        "The drafting committee must be a council of a place that takes in the whole scope.",
    ),
    ("elsewhere_council", "Choose one of the councils listed."),
    ({"text": ""}, "Paste the pact&#x27;s text, or upload it as a .txt file."),
    (
        {"text": "幸福里小区家规\n大家共同遵守。"},
        "No article was found: start each article on a line of its own with",
    ),
    ({"text": "第一条 甲" * 41_000}, "The text has at most 204800 characters."),
    ({"summary": "x" * 2001}, "A summary has at most 2000 characters."),
    ({"text": "", "upload": b""}, "The uploaded file is empty."),
    ({"text": "", "upload": b"  \r\n \r\n"}, "The uploaded file is empty."),
    ({"text": "", "upload": TEXT.encode("utf-16")}, "The file could not be read as text."),
    ({"text": "", "upload": b"\x89PNG\r\n\x1a\n\x00\x00"}, "The file could not be read as text."),
    (
        {"text": "", "upload": "第一条 甲。\n".encode() * 20_000},
        "The file is larger than 200 KB",
    ),
    ({"text": "", "upload": ("家规.docx", b"PK\x03\x04")}, "plain text file (.txt)"),
    ({"upload": TEXT.encode()}, "Paste the text or upload a file, not both."),
]


def bad_data(place, bad) -> dict:
    named = {
        "elsewhere_place": {"place": f"community:{place.other_community.pk}"},
        "missing_entrance": {"place": f"building:{place.building.pk}", "entrance": "9"},
        "other_compound_council": {"committee": str(place.other_council.pk)},
        "elsewhere_council": {"committee": str(place.elsewhere_council.pk)},
    }
    data = dict(named[bad]) if isinstance(bad, str) else dict(bad)
    if "upload" in data:
        content = data["upload"]
        data["upload"] = txt(*reversed(content)) if isinstance(content, tuple) else txt(content)
    return data


@pytest.mark.parametrize("step", ["preview", "confirm"])
@pytest.mark.parametrize("bad,message", BAD_PACTS)
def test_bad_pact_is_refused_and_writes_nothing(committee_client, place, bad, message, step):
    before = record_counts()

    response = committee_client.post(NEW_PACT, pact_data(place, step=step) | bad_data(place, bad))

    body = body_of(response)
    assert response.status_code == 200
    assert message in body
    assert 'data-form="pact"' in body and 'data-form="confirm"' not in body
    assert record_counts() == before


def test_a_refusal_from_the_service_returns_to_the_form_with_the_text(committee_client, place):
    text = "第一条 " + "甲" * 2001
    before = record_counts()

    response = committee_client.post(NEW_PACT, pact_data(place, text=text, step="confirm"))

    body = body_of(response)
    assert "An article has at most 2000 characters." in body
    assert 'data-form="pact"' in body and "甲" * 2001 in body
    assert record_counts() == before


def test_a_building_entrance_pact_with_the_community_council(committee_client, place):
    response = committee_client.post(
        NEW_PACT,
        pact_data(
            place,
            kind="resident_pact",
            place=f"building:{place.building.pk}",
            entrance="2",
            committee=str(place.community_council.pk),
            step="confirm",
        ),
    )

    assert response.status_code == 302
    pact = Pact.objects.get()
    assert (pact.building, pact.entrance, pact.committee) == (
        place.building,
        "2",
        place.community_council,
    )


# ---------------------------------------------------------------- the pact's page


def test_the_pact_page_shows_versions_amendments_and_links(committee_client, committee, place):
    pact = consolidating(place, committee)

    body = body_of(committee_client.get(f"{PACTS}{pact.pk}/"))

    assert 'data-state="consolidating"' in body
    assert 'data-version-row="1"' in body and 'data-version-row="2"' in body
    assert "初稿" in body and "working draft" in body
    assert 'data-amendments="proposed">0<' in body
    assert 'data-amendments="accepted">1<' in body
    assert 'data-amendments="rejected">1<' in body
    assert 'data-amendments="withdrawn">1<' in body
    assert f'href="/admin/councils/{place.council.pk}/"' in body
    assert 'data-form="vote"' in body
    assert f'href="{site_url("deliberation:pact", pact)}"' in body
    assert f'href="{site_url("deliberation:pact_committee", pact)}"' in body


def test_committee_puts_the_consolidated_pact_to_the_vote(committee_client, committee, place):
    pact = consolidating(place, committee)
    closes = timezone.localtime() + dt.timedelta(days=14)

    response = committee_client.post(
        f"{PACTS}{pact.pk}/vote/",
        {"summary": "采纳养犬条款修正案", "closes_at": closes.strftime("%Y-%m-%d %H:%M")},
    )

    assert response.status_code == 302
    pact.refresh_from_db()
    version = pact.versions.get(number=2)
    assert pact.state == "voting"
    assert version.change_summary == "采纳养犬条款修正案" and version.poll is not None
    assert version.poll.state == "open" and version.poll.rule_name == "owners_ordinary"
    assert version.poll.closes_at.replace(second=0) == closes.replace(second=0, microsecond=0)
    page = body_of(committee_client.get(f"{PACTS}{pact.pk}/"))
    assert "Version 2 is put to the vote" in page and 'data-form="vote"' not in page
    assert f'href="/admin/polls/{version.poll_id}/"' in page


@pytest.mark.parametrize(
    "data,message",
    [
        ({"summary": ""}, "Say in a few words what changed in this version."),
        ({"summary": "改", "closes_at": "2020-01-01 10:00"}, "a time still to come"),
        ({"summary": "改", "closes_at": "下周三"}, "Give a date and time such as"),
        ({"summary": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_vote_is_refused_and_changes_nothing(committee_client, committee, place, data, message):
    pact = consolidating(place, committee)
    before = record_counts()

    response = committee_client.post(f"{PACTS}{pact.pk}/vote/", data)

    assert response.status_code == 200
    assert message in body_of(response)
    assert 'data-form="vote"' in body_of(response)
    assert record_counts() == before


def test_a_pact_still_in_drafting_is_not_put_to_the_vote(committee_client, place):
    pact = compound_pact(place)
    before = record_counts()

    page = body_of(committee_client.get(f"{PACTS}{pact.pk}/"))
    response = committee_client.post(f"{PACTS}{pact.pk}/vote/", {"summary": "改"})

    assert 'data-form="vote"' not in page
    assert "This cannot be done while the pact is at the step" in body_of(response)
    assert record_counts() == before


# ---------------------------------------------------------------- the list


@pytest.mark.parametrize("rows", [1, 50])
def test_pact_list_reads_in_constant_queries(client, place, rows, django_assert_max_num_queries):
    staff = staff_of(place.community, "residents_committee")
    for number in range(rows):
        scope = (place.compound, place.building, place.community)[number % 3]
        committee = place.community_council if scope == place.community else place.council
        pact = compound_pact(
            place, by=staff, title=f"家规{number}", scope=scope, committee=committee
        )
        if number % 2:
            pacts.open_amendments(
                staff, pact, closes_at=timezone.now() + dt.timedelta(days=7), summary="初稿"
            )
    sign_in_staff(client, actor("residents_committee", place))

    with django_assert_max_num_queries(20):
        body = body_of(client.get(PACTS))

    assert body.count("data-pact=") == rows


def test_pact_list_says_which_version_is_current(committee_client, committee, place):
    drafting = compound_pact(place, by=committee, title="起草中")
    amending = compound_pact(place, by=committee, title="征求修改中")
    pacts.open_amendments(
        committee, amending, closes_at=timezone.now() + dt.timedelta(days=7), summary="初稿"
    )

    body = body_of(committee_client.get(PACTS))

    def row(pact):
        return body.split(f'data-pact="{pact.pk}"')[1].split("</li>")[0]

    assert "working draft of version 1" in row(drafting) and "published" not in row(drafting)
    assert "version 1 published</span> · <span>working draft of version 2" in row(amending)
