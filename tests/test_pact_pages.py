"""The resident pages of pacts: the list, a pact's page with its text and the amendments
under each article, proposing an amendment, an amendment's page with positions and
comments, a version, the differences between two versions, and the drafting committee's
page. Every form is tried with bad input: a clear message, nothing changes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    Amendment,
    AmendmentComment,
    AmendmentPosition,
    CouncilMember,
    Pact,
)
from deliberation.services import pacts
from deliberation.services import polls as poll_services
from deliberation.services.pacts import ArticleInput

from .factories import (
    BuildingFactory,
    CompoundFactory,
    CouncilFactory,
    DwellingFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    verified_member,
)
from .test_pact_socket import Scene as SocketScene

pytestmark = pytest.mark.django_db

PACTS = reverse("deliberation:pacts")
PETS = "饲养犬只应当依法办理登记，出户时拴绳牵引，及时清理宠物粪便。"
PARKING = "机动车按车位停放，不占用消防通道和绿地。"
GARBAGE = "生活垃圾分类后投放到指定地点，大件垃圾预约清运。"
ARTICLES = [
    ArticleInput(PETS, heading="养宠", chapter="第一章 文明居住"),
    ArticleInput(PARKING, heading="停车", chapter="第一章 文明居住"),
    ArticleInput(GARBAGE, heading="垃圾分类", chapter="第二章 环境卫生"),
]


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def compound(community):
    return CompoundFactory(community=community, name="幸福里一期")


@pytest.fixture
def building(compound):
    return BuildingFactory(compound=compound, name="3号楼")


@pytest.fixture
def owners(building):
    names = ["王阿姨", "吴先生", "冯师傅", "赵女士", "周老师", "钱大爷"]
    return [verified_member(DwellingFactory(building=building), display_name=n) for n in names]


@pytest.fixture
def neighbour(owners):
    return owners[0]


@pytest.fixture
def staff(community):
    return staff_of(community, "owners_committee", display_name="刘委员")


@pytest.fixture
def council(compound):
    return CouncilFactory(community=compound.community, compound=compound, name="一期议事会")


@pytest.fixture
def member(council):
    user = UserFactory(display_name="孙老师")
    CouncilMember.objects.create(council=council, user=user, office=CouncilMember.Office.CHAIR)
    return user


@pytest.fixture
def stranger(community):
    """A verified resident of another compound of the community."""
    return verified_member(
        DwellingFactory(building__compound=CompoundFactory(community=community, name="二期")),
        display_name="外小区",
    )


@pytest.fixture
def pact(staff, compound, council, owners):
    return pacts.create_pact(
        staff,
        kind=Pact.Kind.HOUSE_RULES,
        title="幸福里一期小区家规",
        place=compound,
        committee=council,
        summary="养宠、停车、垃圾分类，大家的事大家定。",
        preamble="为维护小区秩序，制定本家规。",
        articles=ARTICLES,
    )


def soon():
    return timezone.now() + timedelta(days=7)


@pytest.fixture
def amending(pact, member):
    pacts.open_amendments(member, pact, closes_at=soon(), summary="征求意见稿")
    pact.refresh_from_db()
    return pact


@pytest.fixture
def proposal(amending, owners):
    """吴先生's amendment to the pets article."""
    return pacts.propose_amendment(
        owners[1],
        amending,
        article_key=1,
        kind="replace",
        text="饲养犬只应当依法办理登记并接种疫苗，出户时拴绳牵引。",
        rationale="防疫要紧。",
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_client(user) -> Client:
    client = Client()
    sign_in_staff(client, user)
    return client


def url(name: str, pact: Pact, *args) -> str:
    return reverse(f"deliberation:{name}", args=[pact.pk, *args])


def page(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow(client, response):
    """The page a 303 leads to, with the messages it carries."""
    assert response.status_code == 303, response.status_code
    return client.get(response["Location"])


def last_seq(pact: Pact) -> int:
    return Pact.objects.values_list("last_seq", flat=True).get(pk=pact.pk)


def texts(pact: Pact) -> list[tuple[int, str]]:
    draft = pacts.working_draft(pact)
    return list(draft.articles.order_by("position").values_list("key", "text"))


# ---------------------------------------------------------------------------- the list


def test_the_list_shows_kind_scope_state_and_deadline(client, amending):
    body = page(client.get(PACTS))
    assert "幸福里一期小区家规" in body
    assert "house rules" in body and "open for amendments" in body
    assert "幸福里一期" in body and "一期议事会" in body
    deadline = timezone.localtime(amending.amendments_close_at).strftime("%Y-%m-%d %H:%M")
    assert "Amendments until" in body and deadline in body


def test_a_pact_in_its_first_draft_is_listed_only_for_those_who_steer_it(
    client, pact, member, neighbour
):
    assert pact.title not in page(client.get(PACTS))
    assert pact.title not in page(signed_in(neighbour).get(PACTS))
    body = page(signed_in(member).get(PACTS))
    assert pact.title in body and "not published yet" in body


def test_the_lists_query_count_does_not_grow_with_its_pacts(
    client, staff, compound, building, council, member, django_assert_max_num_queries
):
    def new_pact(n):
        made = pacts.create_pact(
            staff,
            kind=Pact.Kind.HOUSE_RULES if n % 2 else Pact.Kind.RESIDENT_PACT,
            title=f"公约{n}",
            place=compound if n % 3 else building,
            committee=council,
            articles=ARTICLES[:1],
        )
        pacts.open_amendments(member, made, closes_at=soon(), summary="稿")

    new_pact(0)
    with django_assert_max_num_queries(10) as one:
        assert client.get(PACTS).status_code == 200
    for n in range(1, 50):
        new_pact(n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(PACTS)
    assert page(response).count('class="pact-item-title"') == 20


# ---------------------------------------------------------------------------- the pact's page


def test_anyone_reads_the_pact_its_steps_text_and_amendments(client, proposal, amending, owners):
    pacts.take_position(owners[2], proposal, "support")
    response = client.get(url("pact", amending))
    assert response.status_code == 200
    body = page(response)
    assert "幸福里一期小区家规" in body and "一期议事会" in body and "幸福里一期" in body
    assert 'data-step="amending" aria-current="step"' in body
    assert "第一章 文明居住" in body and "第二章 环境卫生" in body
    assert "第一条" in body and "第三条" in body and PARKING in body
    card = body[body.index(f'id="amendment-{proposal.pk}"') :]
    card = card[: card.index("</article>")]
    assert 'data-state="proposed"' in card
    assert "replace the article" in card and "接种疫苗" in card and "防疫要紧。" in card
    assert "吴先生" in card
    assert "<strong data-supporters>1</strong>" in card
    assert "<strong data-opponents>0</strong>" in card
    assert f'data-pact="{amending.pk}"' in body
    assert f'data-seq="{last_seq(amending)}"' in body
    assert 'id="pact-viewers"' in body
    assert "Sign in to propose, support or oppose amendments." in body
    assert 'class="position-form"' not in body
    assert url("pact_amend", amending, 1) not in body


def test_a_resident_in_scope_may_support_and_propose_under_each_article(
    proposal, amending, neighbour
):
    body = page(signed_in(neighbour).get(url("pact", amending)))
    assert 'class="position-form"' in body
    for key in (1, 2, 3):
        assert f'href="{url("pact_amend", amending, key)}"' in body
    assert "Propose an amendment to 第二条" in body


def test_the_author_is_not_offered_to_support_their_own_amendment(proposal, amending, owners):
    body = page(signed_in(owners[1]).get(url("pact", amending)))
    assert "You proposed this amendment." in body
    assert 'class="position-form"' not in body


def test_a_resident_of_another_compound_follows_without_taking_part(proposal, amending, stranger):
    body = page(signed_in(stranger).get(url("pact", amending)))
    assert "you can follow it" in body
    assert 'class="position-form"' not in body
    assert url("pact_amend", amending, 1) not in body


def test_a_pact_not_yet_published_is_found_only_by_those_who_steer_it(
    client, pact, neighbour, member
):
    assert client.get(url("pact", pact)).status_code == 404
    assert signed_in(neighbour).get(url("pact", pact)).status_code == 404
    body = page(signed_in(member).get(url("pact", pact)))
    assert "nothing is published yet" in body
    assert url("pact_committee", pact) in body


def test_a_missing_pact_is_not_found(client):
    assert client.get(reverse("deliberation:pact", args=[999])).status_code == 404


def adopt(pact, member, staff, *, passed=True):
    """Close amendments, put the text to the owners' vote and close it."""
    if pact.state == Pact.State.AMENDING:
        pacts.consolidate(member, pact)
    version = pacts.start_vote(staff, pact, summary="采纳修正案")
    poll = version.poll
    question = poll.questions.get()
    choice = question.options.get(code="yes" if passed else "no").pk
    for entry in poll.roll.entries.all():
        poll_services.enter_paper_ballot(staff, poll, entry, {question.pk: choice})
    poll_services.close_poll(staff, poll)
    pact.refresh_from_db()
    return version


def test_an_adopted_pact_shows_the_text_in_force_and_its_vote(client, amending, member, staff):
    version = adopt(amending, member, staff)
    body = page(client.get(url("pact", amending)))
    assert "The text in force (version 1)" in body
    assert "Version 1 was adopted by vote" in body
    assert reverse("polls:results", args=[version.poll.pk]) in body
    assert 'data-step="adopted" aria-current="step"' in body
    assert PETS in body


def test_a_pact_put_to_the_vote_links_to_the_vote(client, amending, member, staff):
    pacts.consolidate(member, amending)
    version = pacts.start_vote(staff, amending, summary="表决稿")
    body = page(client.get(url("pact", amending)))
    assert "Version 1 is put to the vote." in body
    assert reverse("polls:detail", args=[version.poll.pk]) in body


def test_a_failed_vote_is_shown_with_its_result(client, amending, member, staff):
    version = adopt(amending, member, staff, passed=False)
    assert amending.state == Pact.State.CONSOLIDATING
    body = page(client.get(url("pact", amending)))
    assert "Version 1 was not adopted by the vote." in body
    assert reverse("polls:results", args=[version.poll.pk]) in body


def test_the_pact_pages_query_count_does_not_grow_with_its_amendments(
    proposal, amending, owners, neighbour, django_assert_max_num_queries
):
    pacts.take_position(neighbour, proposal, "support")
    pacts.comment_on_amendment(neighbour, proposal, "赞成")
    client = signed_in(neighbour)
    with django_assert_max_num_queries(40) as one:
        assert client.get(url("pact", amending)).status_code == 200
    version = pacts.latest_published(amending)
    people = [
        verified_member(DwellingFactory(building=owners[0].memberships.get().dwelling.building))
        for _ in range(5)
    ]
    for n in range(49):
        amendment = Amendment.objects.create(
            pact=amending,
            version=version,
            article_key=n % 3 + 1,
            kind=["replace", "insert_after", "delete"][n % 3],
            text="" if n % 3 == 2 else f"修改{n}",
            rationale=f"理由{n}",
            author=people[n % 5],
            state=["proposed", "accepted", "rejected", "withdrawn"][n % 4],
        )
        AmendmentPosition.objects.create(amendment=amendment, user=neighbour, side="oppose")
        AmendmentComment.objects.create(amendment=amendment, author=people[0], text="评")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url("pact", amending))
    assert page(response).count('class="amendment state-') == 50


# ---------------------------------------------------------------------------- proposing


def test_the_amendment_form_starts_from_the_articles_text(amending, neighbour):
    client = signed_in(neighbour)
    body = page(client.get(url("pact_amend", amending, 1)))
    assert "Propose an amendment to 第一条" in body
    assert f"{PETS}</textarea>" in body
    assert 'value="replace" id="id_kind_0" required checked' in body
    body = page(client.get(url("pact_amend", amending, 1) + "?kind=insert_after"))
    assert 'value="insert_after" id="id_kind_1" required checked' in body
    assert f"{PETS}</textarea>" not in body


def test_a_resident_proposes_an_amendment(amending, neighbour):
    client = signed_in(neighbour)
    response = client.post(
        url("pact_amend", amending, 2),
        {
            "kind": "insert_after",
            "heading": "电动车",
            "text": "电动车不进楼道。",
            "rationale": "防火",
        },
    )
    amendment = Amendment.objects.get()
    assert response["Location"].endswith(f"#amendment-{amendment.pk}")
    assert (amendment.kind, amendment.article_key, amendment.author) == (
        "insert_after",
        2,
        neighbour,
    )
    followed = follow(client, response)
    assert "Your amendment is proposed." in messages_of(followed)
    assert "电动车不进楼道。" in page(followed)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "新文本", "rationale": "r"}, "Choose what the amendment does"),
        ({"kind": "rewrite", "text": "新文本", "rationale": "r"}, "Choose what the amendment does"),
        ({"kind": "replace", "text": "新文本", "rationale": "  "}, "Say why you propose"),
        ({"kind": "replace", "text": "", "rationale": "r"}, "Write the text you propose."),
        ({"kind": "insert_after", "text": "   ", "rationale": "r"}, "Write the text you propose."),
        ({"kind": "replace", "text": "长" * 2001, "rationale": "r"}, "at most 2000 characters"),
        ({"kind": "replace", "text": "新", "rationale": "长" * 2001}, "at most 2000 characters"),
        ({"kind": "replace", "text": "新", "heading": "长" * 41, "rationale": "r"}, "at most 40"),
        (
            {"kind": "insert_after", "text": PETS, "rationale": "r"},
            "this is the text of the current",
        ),
        ({"kind": "replace", "text": PETS, "heading": "养宠", "rationale": "r"}, "is the same as"),
    ],
)
def test_a_bad_amendment_is_refused_with_what_was_typed(amending, neighbour, data, message):
    seq = last_seq(amending)
    response = signed_in(neighbour).post(url("pact_amend", amending, 1), data)
    assert response.status_code == 400
    body = page(response)
    assert message in body
    if data.get("rationale", "").strip() and len(data["rationale"]) < 100:
        assert f"{data['rationale']}</textarea>" in body
    assert not Amendment.objects.exists()
    assert last_seq(amending) == seq


def test_amendments_are_refused_once_closed(amending, member, neighbour):
    pacts.consolidate(member, amending)
    client = signed_in(neighbour)
    response = client.get(url("pact_amend", amending, 1))
    assert "This pact is not open for amendments now." in messages_of(follow(client, response))
    response = client.post(
        url("pact_amend", amending, 1), {"kind": "delete", "rationale": "多余", "text": ""}
    )
    assert response.status_code == 400
    assert "This pact is not open for amendments now." in page(response)
    assert not Amendment.objects.exists()


def test_only_residents_in_scope_propose_amendments(client, amending, stranger):
    response = signed_in(stranger).post(
        url("pact_amend", amending, 1), {"kind": "delete", "rationale": "多余"}
    )
    assert response.status_code == 403
    assert "Only verified residents of this pact" in page(response)
    response = client.get(url("pact_amend", amending, 1))
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Amendment.objects.exists()


def test_an_amendment_to_an_article_the_version_lacks_is_not_found(amending, neighbour):
    assert signed_in(neighbour).get(url("pact_amend", amending, 99)).status_code == 404


# ---------------------------------------------------------------------------- an amendment


def test_the_amendment_page_shows_the_change_by_character_and_the_comments(
    client, proposal, amending, neighbour, member
):
    pacts.comment_on_amendment(neighbour, proposal, "疫苗很重要")
    hidden = pacts.comment_on_amendment(neighbour, proposal, "某某是骗子")
    pacts.hide_comment(member, hidden, "人身攻击")
    response = client.get(url("pact_amendment", amending, proposal.pk))
    assert response.status_code == 200
    body = page(response)
    assert "Amendment to 第一条" in body
    assert '<ins><span class="visually-hidden">[insertion start] </span>并接种疫苗' in body
    assert "<del>" in body and "及时清理宠物粪便" in body
    assert "疫苗很重要" in body
    assert "某某是骗子" not in body and "This comment has been hidden: 人身攻击" in body


def test_a_deletion_and_an_insertion_show_what_they_do(client, amending, owners):
    deletion = pacts.propose_amendment(
        owners[1], amending, article_key=2, kind="delete", rationale="重复"
    )
    insertion = pacts.propose_amendment(
        owners[2],
        amending,
        article_key=2,
        kind="insert_after",
        text="电动车不进楼道。",
        rationale="防火",
    )
    body = page(client.get(url("pact_amendment", amending, deletion.pk)))
    assert "The article would be deleted:" in body and "<del>" in body and PARKING in body
    body = page(client.get(url("pact_amendment", amending, insertion.pk)))
    assert "A new article would follow 第二条" in body and "<ins>" in body


def test_a_missing_amendment_is_not_found(client, amending, proposal, staff, compound, council):
    other = pacts.create_pact(
        staff,
        kind="house_rules",
        title="另一家规",
        place=compound,
        committee=council,
        articles=ARTICLES,
    )
    assert client.get(url("pact_amendment", amending, 999)).status_code == 404
    assert client.get(url("pact_amendment", other, proposal.pk)).status_code == 404


def position(client, pact, amendment, side, back="amendment"):
    return client.post(url("pact_position", pact, amendment.pk), {"side": side, "back": back})


def test_a_resident_supports_opposes_and_takes_back_a_position(proposal, amending, neighbour):
    client = signed_in(neighbour)
    response = position(client, amending, proposal, "support", back="pact")
    assert response["Location"].endswith(f"{url('pact', amending)}#amendment-{proposal.pk}")
    assert "You support this amendment." in messages_of(follow(client, response))
    proposal.refresh_from_db()
    assert (proposal.supporters, proposal.opponents) == (1, 0)
    follow(client, position(client, amending, proposal, "oppose"))
    proposal.refresh_from_db()
    assert (proposal.supporters, proposal.opponents) == (0, 1)
    body = page(client.get(url("pact_amendment", amending, proposal.pk)))
    assert 'value="oppose" class="small" aria-pressed="true"' in body
    assert "You oppose it." in body
    follow(client, position(client, amending, proposal, "none"))
    proposal.refresh_from_db()
    assert (proposal.supporters, proposal.opponents) == (0, 0)
    assert not AmendmentPosition.objects.exists()


@pytest.mark.parametrize(
    ("who", "side", "message"),
    [
        ("neighbour", "", "Choose to support or to oppose the amendment."),
        ("neighbour", "maybe", "Choose to support or to oppose the amendment."),
        ("author", "support", "You proposed this amendment"),
    ],
)
def test_a_bad_position_is_refused_and_changes_nothing(
    proposal, amending, owners, who, side, message
):
    user = owners[1] if who == "author" else owners[0]
    client = signed_in(user)
    seq = last_seq(amending)
    response = follow(client, position(client, amending, proposal, side))
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert not AmendmentPosition.objects.exists() and last_seq(amending) == seq


def test_no_position_on_a_decided_amendment_or_from_outside_the_scope(
    client, proposal, amending, neighbour, stranger, member
):
    assert position(signed_in(stranger), amending, proposal, "support").status_code == 403
    response = position(client, amending, proposal, "support")
    assert response.status_code == 302 and "login" in response["Location"]
    pacts.decide_amendment(member, proposal, accept=True)
    seq = last_seq(amending)
    resident = signed_in(neighbour)
    response = follow(resident, position(resident, amending, proposal, "support"))
    assert "This amendment has been decided already." in messages_of(response)
    assert not AmendmentPosition.objects.exists() and last_seq(amending) == seq


def test_a_resident_comments_on_an_amendment(proposal, amending, neighbour):
    client = signed_in(neighbour)
    response = client.post(url("pact_comment", amending, proposal.pk), {"text": "同意"})
    comment = AmendmentComment.objects.get()
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert "同意" in page(follow(client, response))


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write a comment."), ("   ", "Write a comment."), ("长" * 1001, "at most 1000")],
)
def test_a_bad_comment_is_refused_with_the_text_kept(proposal, amending, neighbour, text, message):
    seq = last_seq(amending)
    response = signed_in(neighbour).post(url("pact_comment", amending, proposal.pk), {"text": text})
    assert response.status_code == 400
    assert message in page(response)
    assert not AmendmentComment.objects.exists() and last_seq(amending) == seq


def test_only_residents_in_scope_comment(proposal, amending, stranger):
    response = signed_in(stranger).post(
        url("pact_comment", amending, proposal.pk), {"text": "路过"}
    )
    assert response.status_code == 403
    assert not AmendmentComment.objects.exists()


def test_the_author_withdraws_an_amendment(proposal, amending, owners, neighbour):
    assert "Withdraw my amendment" not in page(
        signed_in(neighbour).get(url("pact_amendment", amending, proposal.pk))
    )
    response = signed_in(neighbour).post(url("pact_withdraw", amending, proposal.pk))
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == "proposed"
    client = signed_in(owners[1])
    assert "Withdraw my amendment" in page(client.get(url("pact_amendment", amending, proposal.pk)))
    response = follow(client, client.post(url("pact_withdraw", amending, proposal.pk)))
    assert "Your amendment is withdrawn." in messages_of(response)
    proposal.refresh_from_db()
    assert proposal.state == "withdrawn"
    seq = last_seq(amending)
    response = follow(client, client.post(url("pact_withdraw", amending, proposal.pk)))
    assert "Only an amendment not yet decided can be withdrawn." in messages_of(response)
    assert last_seq(amending) == seq


# ---------------------------------------------------------------------------- versions


@pytest.fixture
def second(amending, proposal, owners, member):
    """Version 2: the pets article replaced, an article inserted after parking, the
    garbage article deleted."""
    insertion = pacts.propose_amendment(
        owners[2],
        amending,
        article_key=2,
        kind="insert_after",
        heading="电动车",
        text="电动车不进楼道。",
        rationale="防火",
    )
    deletion = pacts.propose_amendment(
        owners[3], amending, article_key=3, kind="delete", rationale="另有规定"
    )
    for amendment in (proposal, insertion, deletion):
        pacts.decide_amendment(member, amendment, accept=True)
    pacts.consolidate(member, amending)
    return pacts.open_amendments(member, amending, closes_at=soon(), summary="采纳三条修正案")


def test_a_version_shows_its_text_summary_date_and_amendments(client, second, amending):
    body = page(client.get(url("pact_version", amending, 2)))
    assert "采纳三条修正案" in body and "电动车不进楼道。" in body
    assert timezone.localtime(second.published_at).strftime("%Y-%m-%d %H:%M") in body
    assert "3 amendments entered this version" in body
    assert f"{url('pact_compare', amending)}?from=1&amp;to=2" in body
    body = page(client.get(url("pact_version", amending, 1)))
    assert GARBAGE in body and "征求意见稿" in body


def test_a_version_with_its_vote_shows_the_result(client, amending, member, staff):
    version = adopt(amending, member, staff)
    body = page(client.get(url("pact_version", amending, version.number)))
    assert "in force" in body and "was adopted by vote" in body
    assert reverse("polls:results", args=[version.poll.pk]) in body


def test_the_working_draft_and_missing_versions_are_not_found(client, second, amending):
    assert client.get(url("pact_version", amending, 3)).status_code == 404
    assert client.get(url("pact_version", amending, 9)).status_code == 404


def test_the_comparison_shows_each_article_and_each_character(client, second, amending):
    body = page(client.get(url("pact_compare", amending)))
    assert "From version 1 to version 2" in body
    assert "1 changed" in body and "1 new" in body and "1 deleted" in body
    changed = body[body.index('id="diff-1"') :]
    changed = changed[: changed.index("</article>")]
    assert 'data-status="changed"' in changed and "<ins>" in changed and "并接种疫苗" in changed
    inserted = body[body.index('id="diff-4"') :]
    assert 'data-status="inserted"' in inserted[:200] and "电动车不进楼道。" in inserted
    deleted = body[body.index('id="diff-3"') :]
    assert 'data-status="deleted"' in deleted[:200] and GARBAGE in deleted
    assert '<details class="diff-unchanged">' in body and "1 article unchanged" in body


def test_the_comparison_of_a_version_with_itself_or_with_nothing_is_refused(
    client, second, amending
):
    for query, message in [
        ({"from": "1", "to": "1"}, "Choose two different versions."),
        ({"from": "x", "to": "2"}, "Choose a published version of this pact."),
        ({"from": "1", "to": "3"}, "Choose a published version of this pact."),
        ({"from": "1"}, "Choose a published version of this pact."),
        ({"from": "99999999999999999999", "to": "2"}, "Choose a published version"),
    ]:
        response = client.get(url("pact_compare", amending), query)
        assert response.status_code == 400, query
        assert message in page(response), query


def test_with_one_version_there_is_nothing_to_compare(client, amending):
    response = client.get(url("pact_compare", amending), {"from": "1", "to": "2"})
    assert response.status_code == 200
    assert "there is nothing to compare yet" in page(response)


# ---------------------------------------------------------------------------- the committee


def test_the_committees_page_is_for_those_who_steer_the_pact(client, pact, neighbour, member):
    response = client.get(url("pact_committee", pact))
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.post(url("pact_open", pact)).status_code == 302
    assert signed_in(neighbour).get(url("pact_committee", pact)).status_code == 404
    pacts.open_amendments(member, pact, closes_at=soon(), summary="稿")
    response = signed_in(neighbour).get(url("pact_committee", pact))
    assert response.status_code == 403
    assert "Only the drafting committee" in page(response)
    response = signed_in(neighbour).post(url("pact_consolidate", pact))
    assert response.status_code == 403
    pact.refresh_from_db()
    assert pact.state == Pact.State.AMENDING


def test_the_committee_sees_the_draft_with_its_forms(pact, member):
    body = page(signed_in(member).get(url("pact_committee", pact)))
    assert 'id="draft-1"' in body and 'id="draft-3"' in body
    assert url("pact_article_edit", pact, 2) in body
    assert url("pact_article_delete", pact, 2) in body
    assert url("pact_open", pact) in body and 'type="datetime-local"' in body
    assert f"{PARKING}</textarea>" in body


def test_the_committee_edits_adds_and_deletes_articles(pact, member):
    client = signed_in(member)
    response = client.post(
        url("pact_article_edit", pact, 2), {"heading": "停车", "chapter": "", "text": "车停车位。"}
    )
    assert "The article is saved." in messages_of(follow(client, response))
    follow(
        client,
        client.post(url("pact_article_add", pact), {"after": "2", "text": "电动车不进楼道。"}),
    )
    follow(client, client.post(url("pact_article_add", pact), {"text": "总则。"}))
    follow(client, client.post(url("pact_article_delete", pact, 3)))
    assert [text for _key, text in texts(pact)] == [
        "总则。",
        PETS,
        "车停车位。",
        "电动车不进楼道。",
    ]
    follow(client, client.post(url("pact_preamble", pact), {"preamble": "新序言"}))
    assert pacts.working_draft(pact).preamble == "新序言"


@pytest.mark.parametrize(
    ("name", "args", "data", "message"),
    [
        ("pact_article_edit", [2], {"text": ""}, "Write the article&#x27;s text."),
        ("pact_article_edit", [2], {"text": "长" * 2001}, "at most 2000 characters"),
        ("pact_article_edit", [2], {"text": "x", "heading": "长" * 41}, "at most 40"),
        ("pact_article_edit", [2], {"text": "x", "chapter": "长" * 61}, "at most 60"),
        ("pact_article_edit", [99], {"text": "x"}, "The working draft has no such article."),
        ("pact_article_add", [], {"after": "99", "text": "x"}, "no such article"),
        ("pact_article_add", [], {"after": "abc", "text": "x"}, "no such article"),
        ("pact_article_add", [], {"after": "1", "text": " "}, "Write the article&#x27;s text."),
        ("pact_article_delete", [99], {}, "The working draft has no such article."),
        ("pact_preamble", [], {"preamble": "长" * 5001}, "at most 5000 characters"),
        ("pact_open", [], {"summary": "稿"}, "Give the date and time."),
        ("pact_open", [], {"summary": "稿", "closes_at": "明天"}, "Give a date and time such"),
        ("pact_open", [], {"summary": "稿", "closes_at": "2001-01-01T10:00"}, "still to come"),
        ("pact_open", [], {"closes_at": "2999-01-01T10:00"}, "Say in a few words"),
        ("pact_consolidate", [], {}, "cannot be done while the pact is at the step"),
        ("pact_revise", [], {}, "cannot be done while the pact is at the step"),
    ],
)
def test_bad_committee_input_is_refused_and_changes_nothing(
    pact, member, name, args, data, message
):
    before = texts(pact)
    seq = last_seq(pact)
    response = signed_in(member).post(url(name, pact, *args), data)
    assert response.status_code == 400
    body = page(response)
    assert message in body, body[body.find('class="errors"') :][:500]
    assert texts(pact) == before and last_seq(pact) == seq
    pact.refresh_from_db()
    assert (
        pact.state == Pact.State.DRAFTING
        and pacts.working_draft(pact).preamble == "为维护小区秩序，制定本家规。"
    )


def test_a_bad_edit_keeps_what_was_typed_in_its_place(pact, member):
    response = signed_in(member).post(
        url("pact_article_edit", pact, 2), {"heading": "停" * 41, "text": "我改的文字"}
    )
    body = page(response)
    assert "Nothing was changed" in body
    form = body[body.index('id="draft-2"') :]
    assert "我改的文字</textarea>" in form[: form.index("</li>")]
    assert "<details open>" in form[: form.index("</li>")]


def test_the_last_article_cannot_be_deleted(staff, compound, council, member):
    single = pacts.create_pact(
        staff,
        kind="house_rules",
        title="一条",
        place=compound,
        committee=council,
        articles=ARTICLES[:1],
    )
    response = signed_in(member).post(url("pact_article_delete", single, 1))
    assert response.status_code == 400
    assert "A pact needs at least one article." in page(response)
    assert len(texts(single)) == 1


def test_the_committee_opens_amendments_and_consolidates(pact, member):
    client = signed_in(member)
    response = client.post(
        url("pact_open", pact), {"closes_at": "2999-01-01T10:00", "summary": "征求意见稿"}
    )
    assert "The version is published and open for amendments." in messages_of(
        follow(client, response)
    )
    pact.refresh_from_db()
    assert pact.state == Pact.State.AMENDING
    assert timezone.localtime(pact.amendments_close_at).strftime("%Y-%m-%d %H:%M") == (
        "2999-01-01 10:00"
    )
    assert pacts.latest_published(pact).change_summary == "征求意见稿"
    follow(client, client.post(url("pact_consolidate", pact)))
    pact.refresh_from_db()
    assert pact.state == Pact.State.CONSOLIDATING


def test_the_committee_accepts_and_rejects_amendments(proposal, amending, member, owners):
    other = pacts.propose_amendment(
        owners[2], amending, article_key=3, kind="delete", rationale="没必要"
    )
    client = signed_in(member)
    body = page(client.get(url("pact_committee", amending)))
    assert "2 amendments wait for a decision" in body
    assert url("pact_decide", amending, proposal.pk) in body
    response = client.post(url("pact_decide", amending, proposal.pk), {"decision": "accept"})
    assert "The amendment is accepted." in messages_of(follow(client, response))
    response = client.post(
        url("pact_decide", amending, other.pk), {"decision": "reject", "reason": "垃圾分类必须写"}
    )
    assert "The amendment is rejected." in messages_of(follow(client, response))
    proposal.refresh_from_db()
    other.refresh_from_db()
    assert (proposal.state, other.state, other.decision_reason) == (
        "accepted",
        "rejected",
        "垃圾分类必须写",
    )
    assert texts(amending)[0] == (1, proposal.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "reject", "reason": "  "}, "Give the public reason for rejecting"),
        ({"decision": "maybe"}, "Choose to accept or to reject the amendment."),
        ({}, "Choose to accept or to reject the amendment."),
        ({"decision": "accept", "reason": "长" * 501}, "at most 500 characters"),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(proposal, amending, member, data, message):
    seq = last_seq(amending)
    response = signed_in(member).post(url("pact_decide", amending, proposal.pk), data)
    assert response.status_code == 400
    assert message in page(response)
    proposal.refresh_from_db()
    assert proposal.state == "proposed" and last_seq(amending) == seq


def test_a_decided_amendment_cannot_be_decided_again(proposal, amending, member):
    pacts.decide_amendment(member, proposal, accept=True)
    seq = last_seq(amending)
    response = signed_in(member).post(
        url("pact_decide", amending, proposal.pk), {"decision": "reject", "reason": "改主意"}
    )
    assert response.status_code == 400
    assert "This amendment has been decided already." in page(response)
    proposal.refresh_from_db()
    assert proposal.state == "accepted" and last_seq(amending) == seq


@pytest.fixture
def clash(amending, proposal, owners, member):
    """Two accepted amendments that change the pets article."""
    deletion = pacts.propose_amendment(
        owners[2], amending, article_key=1, kind="delete", rationale="另行规定"
    )
    pacts.decide_amendment(member, proposal, accept=True)
    pacts.decide_amendment(member, deletion, accept=True)
    assert pacts.clashing_keys(amending) == {1}
    return deletion


def test_the_committee_reconciles_a_clash(clash, amending, member, staff):
    client = signed_in(member)
    body = page(client.get(url("pact_committee", amending)))
    assert 'id="clash-1"' in body and url("pact_reconcile", amending, 1) in body
    response = client.post(
        url("pact_reconcile", amending, 1),
        {"text": "犬只登记并接种疫苗。", "heading": "养宠", "note": "两者合并"},
    )
    assert "The article is reconciled." in messages_of(follow(client, response))
    assert pacts.clashing_keys(amending) == set()
    assert texts(amending)[0] == (1, "犬只登记并接种疫苗。")


@pytest.mark.parametrize(
    ("key", "data", "message"),
    [
        (1, {"text": "  ", "note": "n"}, "Write the article&#x27;s text, or choose to delete it."),
        (1, {"text": "长" * 2001}, "at most 2000 characters"),
        (2, {"text": "x"}, "No accepted amendments clash on this article."),
    ],
)
def test_a_bad_reconciliation_is_refused_and_changes_nothing(
    clash, amending, member, key, data, message
):
    before, seq = texts(amending), last_seq(amending)
    response = signed_in(member).post(url("pact_reconcile", amending, key), data)
    assert response.status_code == 400
    assert message in page(response)
    assert texts(amending) == before and last_seq(amending) == seq
    assert pacts.clashing_keys(amending) == {1}


def test_the_committee_deletes_a_clashing_article(clash, amending, member):
    client = signed_in(member)
    follow(client, client.post(url("pact_reconcile", amending, 1), {"deleted": "on"}))
    assert 1 not in [key for key, _text in texts(amending)]
    assert pacts.clashing_keys(amending) == set()


def test_only_a_seat_that_runs_votes_puts_the_pact_to_the_vote(amending, member, staff):
    pacts.consolidate(member, amending)
    client = signed_in(member)
    body = page(client.get(url("pact_committee", amending)))
    assert "start the adoption vote" in body and url("pact_start_vote", amending) not in body
    response = client.post(url("pact_start_vote", amending), {"summary": "表决稿"})
    assert response.status_code == 403
    amending.refresh_from_db()
    assert amending.state == Pact.State.CONSOLIDATING
    client = staff_client(staff)
    assert url("pact_start_vote", amending) in page(client.get(url("pact_committee", amending)))
    response = client.post(url("pact_start_vote", amending), {"summary": "表决稿"})
    assert "The adoption vote is open." in messages_of(follow(client, response))
    amending.refresh_from_db()
    assert amending.state == Pact.State.VOTING


def test_a_bad_vote_is_refused_and_changes_nothing(amending, member, staff, proposal):
    client = staff_client(staff)
    seq = last_seq(amending)
    response = client.post(url("pact_start_vote", amending), {"summary": "x"})
    assert response.status_code == 400
    assert "cannot be done while the pact is at the step" in page(response)
    pacts.consolidate(member, amending)
    seq = last_seq(amending)
    response = client.post(url("pact_start_vote", amending), {"closes_at": "soon"})
    assert response.status_code == 400 and "Give a date and time such" in page(response)
    response = client.post(url("pact_start_vote", amending), {"summary": "x"})
    assert response.status_code == 400
    assert "still waiting for the committee" in page(response)
    amending.refresh_from_db()
    assert amending.state == Pact.State.CONSOLIDATING and last_seq(amending) == seq


def test_the_committee_starts_a_revision_of_the_adopted_pact(amending, member, staff):
    adopt(amending, member, staff)
    client = signed_in(member)
    response = client.post(url("pact_revise", amending))
    assert "A revision is started from the text in force." in messages_of(follow(client, response))
    amending.refresh_from_db()
    assert amending.state == Pact.State.DRAFTING and amending.in_force is not None
    body = page(client.get(url("pact", amending)))
    assert "The text in force" not in body and "Version 1" in body


def test_the_committee_hides_a_comment_with_a_public_reason(proposal, amending, neighbour, member):
    comment = pacts.comment_on_amendment(neighbour, proposal, "某某是骗子")
    assert "Hide this comment" not in page(
        signed_in(neighbour).get(url("pact_amendment", amending, proposal.pk))
    )
    response = signed_in(neighbour).post(
        url("pact_hide_comment", amending, proposal.pk, comment.pk), {"reason": "人身攻击"}
    )
    assert response.status_code == 403
    client = signed_in(member)
    assert "Hide this comment" in page(client.get(url("pact_amendment", amending, proposal.pk)))
    seq = last_seq(amending)
    for reason, message in [("", "Give the public reason"), ("长" * 501, "at most 500")]:
        response = follow(
            client,
            client.post(
                url("pact_hide_comment", amending, proposal.pk, comment.pk), {"reason": reason}
            ),
        )
        assert any(message in m for m in messages_of(response)), messages_of(response)
    comment.refresh_from_db()
    assert not comment.is_hidden and last_seq(amending) == seq
    response = follow(
        client,
        client.post(
            url("pact_hide_comment", amending, proposal.pk, comment.pk), {"reason": "人身攻击"}
        ),
    )
    assert "The comment is hidden; the reason shows in its place." in messages_of(response)
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_reason == "人身攻击"
    assert (
        client.post(
            url("pact_hide_comment", amending, proposal.pk, 999), {"reason": "x"}
        ).status_code
        == 404
    )


def test_the_card_of_an_amendment_is_rendered_for_the_person_asking(client):
    scene = SocketScene()
    amendment = scene.propose()
    url = reverse("deliberation:pact_amendment_card", args=[scene.pact.pk, amendment.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert f'id="amendment-{amendment.pk}"' in anonymous.content.decode()
    assert "position-form" not in anonymous.content.decode()
    client.force_login(scene.owners[1])
    neighbour = client.get(url).content.decode()
    assert "position-form" in neighbour
    assert (
        client.get(
            reverse("deliberation:pact_amendment_card", args=[scene.pact.pk, 999999])
        ).status_code
        == 404
    )


def test_a_pact_notification_links_to_the_pact(client):
    scene = SocketScene()
    client.force_login(scene.owners[0])
    page = client.get(reverse("deliberation:notifications"))
    assert page.status_code == 200
    assert reverse("deliberation:pact", args=[scene.pact.pk]) in page.content.decode()
