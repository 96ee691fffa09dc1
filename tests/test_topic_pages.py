"""The resident pages of topics: the list and its filters, the catalog, proposing,
co-signing, discussing, following, evaluating, reporting, notifications and the home
panel. Every form is tried with bad input: a clear message, and nothing changes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    CatalogEntry,
    Comment,
    CommentReport,
    Evaluation,
    Follow,
    Notification,
    Signature,
    Topic,
)
from deliberation.services import topics as services
from polls import services as poll_services
from polls.electorate import Head

from .factories import (
    AgendaItemFactory,
    BuildingFactory,
    CatalogEntryFactory,
    CompoundFactory,
    DwellingFactory,
    MeetingFactory,
    MembershipFactory,
    verified_member,
)

pytestmark = pytest.mark.django_db

TOPICS = reverse("deliberation:topics")
CATALOG = reverse("deliberation:catalog")
NEW = reverse("deliberation:topic_new")
NOTIFICATIONS = reverse("deliberation:notifications")
MY_TOPICS = reverse("deliberation:my_topics")


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def compound(community):
    return CompoundFactory(community=community, name="幸福里")


@pytest.fixture
def building(compound):
    return BuildingFactory(compound=compound, name="3号楼")


@pytest.fixture
def dwellings(building):
    return [DwellingFactory(building=building, entrance="2") for _ in range(10)]


@pytest.fixture
def group(community):
    return CatalogEntryFactory(
        community=community,
        name="公共设施与环境",
        level="compound",
        covers="小区公共设施、环境卫生。",
    )


@pytest.fixture
def entry(community, group):
    return CatalogEntryFactory(
        community=community,
        parent=group,
        name="加装电梯",
        covers="既有住宅加装电梯。",
        procedure=CatalogEntry.Procedure.OWNERS_VOTE,
        rule_name="owners_special",
        threshold_households=3,
    )


@pytest.fixture
def proposer(dwellings):
    return verified_member(dwellings[0], display_name="王阿姨")


@pytest.fixture
def neighbour(dwellings):
    return verified_member(dwellings[1], display_name="李叔")


@pytest.fixture
def stranger_entry(other_community):
    return CatalogEntryFactory(community=other_community, name="向阳事项")


def client_of(client, user):
    client.force_login(user)
    return client


def make_topic(
    user,
    entry,
    place,
    *,
    title="3号楼2单元加装电梯",
    body="老人上下楼困难，希望加装电梯。",
    entrance="2",
    propose=True,
):
    topic = services.save_draft(
        user,
        catalog_entry=entry,
        scope=services.scope_key(place, entrance),
        title=title,
        body=body,
    )
    if propose:
        services.propose(user, topic)
    topic.refresh_from_db()
    return topic


@pytest.fixture
def topic(proposer, entry, building):
    return make_topic(proposer, entry, building)


def bulk_topics(n, user, entry, building, **fields):
    """Public topics written straight to the table: the services' rate limits allow a
    person only a few new topics an hour."""
    return Topic.objects.bulk_create(
        Topic(
            community=building.compound.community,
            compound=building.compound,
            building=building,
            catalog_entry=entry,
            title=f"议题{i:02d}",
            body="…",
            search_text=f"议题{i:02d}",
            proposed_by=user,
            status=Topic.Status.PROPOSED,
            proposed_at=timezone.now(),
            **fields,
        )
        for i in range(n)
    )


def page(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def walk_to_closed(committee, topic):
    services.accept(committee, topic)
    services.schedule(committee, topic, note="4月10日听证会")
    services.mark_deliberated(committee, topic)
    services.resolve(committee, topic, resolution="同意加装电梯。")
    services.close(committee, topic)
    topic.refresh_from_db()
    return topic


# ---------------------------------------------------------------------------- the list


def test_topic_list_shows_each_topic_with_its_status_matter_place_and_co_signing(
    client, topic, neighbour
):
    services.sign(neighbour, topic)

    response = client.get(TOPICS)

    assert response.status_code == 200
    text = page(response)
    assert reverse("deliberation:topic", args=[topic.pk]) in text
    assert "3号楼2单元加装电梯" in text
    assert "proposed, open for co-signing" in text
    assert "加装电梯" in text
    assert "幸福里 3号楼 entrance 2" in text
    assert "2 households co-signed (3 needed)" in text
    assert "0 comments" in text


def test_topic_list_hides_drafts(client, proposer, entry, building):
    make_topic(proposer, entry, building, title="还没提出的草稿", propose=False)

    assert "还没提出的草稿" not in page(client.get(TOPICS))
    assert "还没提出的草稿" not in page(client_of(client, proposer).get(TOPICS))


def test_topic_list_marks_topics_that_reached_a_petition(client, topic):
    Topic.objects.filter(pk=topic.pk).update(
        residents_meeting_due_at=topic.proposed_at, owners_assembly_due_at=topic.proposed_at
    )

    text = page(client.get(TOPICS))

    assert "Residents' meeting due" in text
    assert "Owners' assembly due" in text


def test_search_finds_a_chinese_substring(client, community, topic, proposer, group, building):
    sanitation = CatalogEntryFactory(community=community, parent=group, name="环境卫生")
    make_topic(proposer, sanitation, building, title="楼道堆物清理", body="堆物影响通行。")

    text = page(client.get(TOPICS, {"q": "电梯"}))

    assert "3号楼2单元加装电梯" in text
    assert "楼道堆物清理" not in text
    assert "1 topic" in text


def test_filters_by_status_matter_and_place(client, community, topic, proposer, entry, group):
    other_building = BuildingFactory(compound=topic.compound, name="5号楼")
    other_dwelling, *_ = (DwellingFactory(building=other_building, entrance="1") for _ in range(5))
    member = verified_member(other_dwelling)
    garbage = CatalogEntryFactory(community=community, parent=group, name="垃圾分类")
    other = make_topic(member, garbage, other_building, title="垃圾桶挪位置", entrance="")
    accepted = page(client.get(TOPICS, {"status": "accepted"}))
    assert "垃圾桶挪位置" not in accepted and "3号楼2单元加装电梯" not in accepted

    by_entry = page(client.get(TOPICS, {"entry": entry.pk}))
    assert "3号楼2单元加装电梯" in by_entry and "垃圾桶挪位置" not in by_entry

    by_group = page(client.get(TOPICS, {"entry": group.pk}))
    assert "3号楼2单元加装电梯" in by_group and "垃圾桶挪位置" in by_group

    by_building = page(client.get(TOPICS, {"place": f"building:{other.building_id}"}))
    assert "垃圾桶挪位置" in by_building and "3号楼2单元加装电梯" not in by_building

    by_compound = page(client.get(TOPICS, {"place": f"compound:{topic.compound_id}"}))
    assert "垃圾桶挪位置" in by_compound and "3号楼2单元加装电梯" in by_compound

    by_status = page(client.get(TOPICS, {"status": "proposed"}))
    assert "垃圾桶挪位置" in by_status and "3号楼2单元加装电梯" in by_status


@pytest.mark.parametrize(
    "params",
    [
        {"place": "building:abc"},
        {"place": "street:1"},
        {"place": "building:999999"},
        {"place": "building"},
        {"entry": "not-a-number"},
        {"entry": "999999"},
        {"status": "draft"},
        {"status": "nonsense"},
        {"page": "x"},
    ],
)
def test_bad_filter_values_are_reported_and_left_out(client, topic, params):
    response = client.get(TOPICS, params)

    assert response.status_code == 200
    text = page(response)
    assert "3号楼2单元加装电梯" in text
    if "page" not in params:
        assert "Some filters were not understood and are left out" in text


def test_list_paginates_twenty_topics_a_page(client, proposer, entry, building):
    bulk_topics(21, proposer, entry, building)

    first, second = page(client.get(TOPICS)), page(client.get(TOPICS, {"page": 2}))

    assert first.count('class="topic-item-title"') == 20
    assert second.count('class="topic-item-title"') == 1
    assert 'rel="next"' in first


def test_list_query_count_does_not_grow_with_topics(
    client, proposer, entry, building, django_assert_max_num_queries
):
    make_topic(proposer, entry, building, title="议题")
    with django_assert_max_num_queries(20) as one:
        assert client.get(TOPICS, {"q": "议题"}).status_code == 200
    bulk_topics(49, proposer, entry, building, residents_meeting_due_at=timezone.now())
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(TOPICS, {"q": "议题", "page": 2})
        assert response.status_code == 200
    assert page(response).count('class="topic-item-title"') == 20


# ---------------------------------------------------------------------------- the catalog


def test_catalog_lists_groups_and_entries_with_their_procedure_and_threshold(
    client, community, entry, group
):
    response = client.get(CATALOG)

    assert response.status_code == 200
    text = page(response)
    assert community.name in text
    assert "公共设施与环境" in text and "加装电梯" in text
    assert "既有住宅加装电梯。" in text
    assert "owners&#x27; vote" in text
    assert "业主共同决定特别事项" in text
    assert "Co-signing for the queue" in text and "3 households" in text
    assert f"{TOPICS}?entry={entry.pk}" in text


# ---------------------------------------------------------------------------- proposing


def test_new_topic_page_asks_anonymous_people_to_sign_in(client):
    response = client.get(NEW)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_new_topic_page_tells_a_person_without_verified_dwelling_to_claim_one(client, resident):
    response = client_of(client, resident).get(NEW)

    assert response.status_code == 200
    assert "first claim the dwelling you live in or own" in page(response)
    assert reverse("deliberation:claim_dwelling") in page(response)


def test_new_topic_form_offers_the_places_and_matters_of_the_persons_memberships(
    client, proposer, building, entry, stranger_entry
):
    text = page(client_of(client, proposer).get(NEW))

    assert services.scope_key(building, "2") in text
    assert "幸福里 3号楼 entrance 2" in text
    assert services.scope_key(building.compound) in text
    assert services.scope_key(building.compound.community) in text
    assert "加装电梯" in text
    assert "向阳事项" not in text


def form_data(entry, place_key, **overrides):
    data = {
        "catalog_entry": entry.pk,
        "scope": place_key,
        "title": "3号楼2单元加装电梯",
        "body": "老人上下楼困难。",
        "action": "draft",
    }
    return data | overrides


def test_saving_a_draft_keeps_it_private_to_its_author(
    client, proposer, neighbour, entry, building
):
    response = client_of(client, proposer).post(
        NEW, form_data(entry, services.scope_key(building, "2")), follow=True
    )

    topic = Topic.objects.get()
    assert topic.status == Topic.Status.DRAFT
    assert topic.entrance == "2" and topic.building == building
    assert "Draft saved" in " ".join(messages_of(response))
    url = reverse("deliberation:topic", args=[topic.pk])
    assert client.get(url).status_code == 200
    assert reverse("deliberation:topic_edit", args=[topic.pk]) in page(client.get(url))
    client.force_login(neighbour)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_proposing_now_makes_the_topic_public_with_the_proposers_signature(
    client, proposer, entry, building
):
    response = client_of(client, proposer).post(
        NEW, form_data(entry, services.scope_key(building, "2"), action="propose"), follow=True
    )

    topic = Topic.objects.get()
    assert topic.status == Topic.Status.PROPOSED
    assert topic.signature_count == 1
    assert "Your topic is public now" in " ".join(messages_of(response))
    client.logout()
    assert client.get(reverse("deliberation:topic", args=[topic.pk])).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Give the topic a title."),
        ({"title": "   "}, "Give the topic a title."),
        ({"title": "长" * 81}, "Keep the title under 80 characters."),
        ({"body": ""}, "Describe the matter"),
        ({"scope": "building:abc"}, "Choose where the topic applies"),
        ({"scope": ""}, "Choose where the topic applies"),
        ({"catalog_entry": "abc"}, "Choose a matter from the catalog of your community."),
    ],
)
def test_bad_topic_form_is_refused_with_a_message_and_nothing_saved(
    client, proposer, entry, building, change, message
):
    data = form_data(entry, services.scope_key(building, "2"), **change)

    response = client_of(client, proposer).post(NEW, data)

    assert response.status_code == 400
    assert message in page(response)
    assert not Topic.objects.exists()


def test_a_matter_of_another_community_is_refused(client, proposer, building, stranger_entry):
    data = form_data(stranger_entry, services.scope_key(building, "2"))

    response = client_of(client, proposer).post(NEW, data)

    assert response.status_code == 400
    assert "Choose a matter from the catalog of your community." in page(response)
    assert not Topic.objects.exists()


def test_a_place_where_the_person_has_no_household_is_refused(client, proposer, entry, compound):
    elsewhere = BuildingFactory(compound=compound, name="9号楼")
    DwellingFactory(building=elsewhere)

    response = client_of(client, proposer).post(
        NEW, form_data(entry, services.scope_key(elsewhere))
    )

    assert response.status_code == 400
    assert "Choose where the topic applies" in page(response)
    assert not Topic.objects.exists()


def test_a_matter_of_one_community_for_a_place_of_another_is_refused_by_the_service(
    client, proposer, building, other_community
):
    """A person with households in two communities sees both catalogs; the service
    still refuses a matter of one for a place of the other."""
    elsewhere = BuildingFactory(compound__community=other_community)
    MembershipFactory(
        user=proposer, dwelling=DwellingFactory(building=elsewhere), status="verified"
    )
    their_entry = CatalogEntryFactory(community=other_community, name="向阳事项")

    response = client_of(client, proposer).post(
        NEW, form_data(their_entry, services.scope_key(building, "2"))
    )

    assert response.status_code == 400
    assert "Choose a matter from the catalog of this community." in page(response)
    assert not Topic.objects.exists()


def test_author_edits_a_draft(client, proposer, entry, building):
    draft = make_topic(proposer, entry, building, propose=False)
    url = reverse("deliberation:topic_edit", args=[draft.pk])
    c = client_of(client, proposer)
    assert "3号楼2单元加装电梯" in page(c.get(url))

    response = c.post(url, form_data(entry, services.scope_key(building), title="新标题"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "新标题" and draft.entrance == "" and draft.status == "draft"


def test_editing_a_draft_with_bad_input_changes_nothing(client, proposer, entry, building):
    draft = make_topic(proposer, entry, building, propose=False)
    url = reverse("deliberation:topic_edit", args=[draft.pk])

    response = client_of(client, proposer).post(
        url, form_data(entry, services.scope_key(building), title="")
    )

    assert response.status_code == 400
    assert "Give the topic a title." in page(response)
    draft.refresh_from_db()
    assert draft.title == "3号楼2单元加装电梯" and draft.entrance == "2"


def test_a_proposed_topic_cannot_be_edited(client, proposer, topic):
    response = client_of(client, proposer).get(
        reverse("deliberation:topic_edit", args=[topic.pk]), follow=True
    )

    assert "A proposed topic can no longer be changed." in " ".join(messages_of(response))


def test_nobody_but_the_author_reaches_a_draft(client, proposer, neighbour, entry, building):
    draft = make_topic(proposer, entry, building, propose=False)
    c = client_of(client, neighbour)

    for name in ("topic", "topic_edit"):
        assert c.get(reverse(f"deliberation:{name}", args=[draft.pk])).status_code == 404
    for name in ("topic_propose", "topic_delete", "topic_sign", "topic_comment"):
        assert c.post(reverse(f"deliberation:{name}", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Topic.Status.DRAFT


def test_author_proposes_a_draft_from_its_page(client, proposer, entry, building):
    draft = make_topic(proposer, entry, building, propose=False)

    response = client_of(client, proposer).post(
        reverse("deliberation:topic_propose", args=[draft.pk]), follow=True
    )

    draft.refresh_from_db()
    assert draft.status == Topic.Status.PROPOSED
    assert "Your topic is public now" in " ".join(messages_of(response))


def test_proposing_twice_says_why_and_changes_nothing(client, proposer, topic):
    response = client_of(client, proposer).post(
        reverse("deliberation:topic_propose", args=[topic.pk]), follow=True
    )

    assert "cannot become" in " ".join(messages_of(response))
    topic.refresh_from_db()
    assert topic.status == Topic.Status.PROPOSED and topic.signature_count == 1


def test_author_deletes_a_draft(client, proposer, entry, building):
    draft = make_topic(proposer, entry, building, propose=False)

    response = client_of(client, proposer).post(
        reverse("deliberation:topic_delete", args=[draft.pk])
    )

    assert response.status_code == 302 and response["Location"] == MY_TOPICS
    assert not Topic.objects.exists()


def test_a_proposed_topic_cannot_be_deleted(client, proposer, topic):
    response = client_of(client, proposer).post(
        reverse("deliberation:topic_delete", args=[topic.pk]), follow=True
    )

    assert "stays on the record" in " ".join(messages_of(response))
    assert Topic.objects.filter(pk=topic.pk).exists()


# ---------------------------------------------------------------------------- a topic's page


def test_topic_page_shows_everything_about_the_topic(client, topic, neighbour):
    services.sign(neighbour, topic)

    response = client.get(reverse("deliberation:topic", args=[topic.pk]))

    assert response.status_code == 200
    text = page(response)
    for expected in (
        "3号楼2单元加装电梯",
        "幸福里 3号楼 entrance 2",
        "公共设施与环境",
        "加装电梯",
        "owners&#x27; vote",
        "业主共同决定特别事项",
        "王阿姨",
        "老人上下楼困难",
        "2</strong> households of 10 have co-signed",
        "2 / 3",  # into the queue
        "2 / 2",  # residents' meeting: 1/5 of 10
        "Sign in to co-sign.",
        "Sign in to take part in the discussion.",
        "topic proposed, open for co-signing",
    ):
        assert expected in text, expected


def test_co_signing_reports_progress_and_the_petition_once_reached(client, topic, neighbour):
    response = client_of(client, neighbour).post(
        reverse("deliberation:topic_sign", args=[topic.pk]), follow=True
    )

    topic.refresh_from_db()
    assert topic.signature_count == 2
    assert topic.residents_meeting_due_at is not None
    text = page(response)
    assert "Your household co-signed this topic." in text
    assert "a residents' meeting must be convened" in text
    assert "Your household has already co-signed this topic." in text
    assert Follow.objects.filter(topic=topic, user=neighbour).exists()


def test_second_co_signature_from_the_same_household_is_refused(client, topic, neighbour):
    services.sign(neighbour, topic)

    response = client_of(client, neighbour).post(
        reverse("deliberation:topic_sign", args=[topic.pk]), follow=True
    )

    assert "Your household has already co-signed this topic." in " ".join(messages_of(response))
    assert Signature.objects.filter(topic=topic).count() == 2


def test_a_person_outside_the_scope_cannot_co_sign(client, topic, resident):
    c = client_of(client, resident)
    url = reverse("deliberation:topic", args=[topic.pk])
    assert "can co-sign" in page(c.get(url))

    response = c.post(reverse("deliberation:topic_sign", args=[topic.pk]), follow=True)

    assert "Only verified members of a household" in " ".join(messages_of(response))
    assert Signature.objects.filter(topic=topic).count() == 1


def test_follow_and_unfollow(client, topic, resident):
    c = client_of(client, resident)

    c.post(reverse("deliberation:topic_follow", args=[topic.pk]))
    assert Follow.objects.filter(topic=topic, user=resident).exists()
    assert "You follow this topic." in page(c.get(reverse("deliberation:topic", args=[topic.pk])))

    c.post(reverse("deliberation:topic_unfollow", args=[topic.pk]))
    assert not Follow.objects.filter(topic=topic, user=resident).exists()


# ---------------------------------------------------------------------------- discussion


def comment_url(topic):
    return reverse("deliberation:topic_comment", args=[topic.pk])


def test_resident_comments_and_replies_without_javascript(client, topic, neighbour, proposer):
    c = client_of(client, neighbour)
    response = c.post(comment_url(topic), {"text": "支持！", "stance": "support"})
    comment = Comment.objects.get()
    assert response["Location"].endswith(f"#comment-{comment.pk}")

    topic_url = reverse("deliberation:topic", args=[topic.pk])
    with_form = page(c.get(topic_url, {"reply": comment.pk}))
    assert 'id="reply"' in with_form
    assert f'name="parent" value="{comment.pk}"' in with_form

    c.post(comment_url(topic), {"text": "谢谢", "stance": "neutral", "parent": comment.pk})
    reply = Comment.objects.get(parent=comment)
    assert reply.author == neighbour
    text = page(c.get(topic_url))
    assert "支持！" in text and "谢谢" in text and "support" in text


def test_no_reply_form_for_those_who_may_not_comment(client, topic, neighbour, resident):
    comment = services.post_comment(neighbour, topic, text="评论")
    url = reverse("deliberation:topic", args=[topic.pk])

    assert 'id="reply"' not in page(client.get(url, {"reply": comment.pk}))
    assert 'id="reply"' not in page(client_of(client, resident).get(url, {"reply": comment.pk}))
    assert 'id="reply"' not in page(client_of(client, neighbour).get(url, {"reply": "abc"}))


def test_reply_to_a_reply_attaches_to_the_top_comment(client, topic, neighbour):
    top = services.post_comment(neighbour, topic, text="一")
    reply = services.post_comment(neighbour, topic, text="二", parent=top)

    client_of(client, neighbour).post(
        comment_url(topic), {"text": "三", "stance": "neutral", "parent": reply.pk}
    )

    assert Comment.objects.get(text="三").parent == top


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "", "stance": "support"}, "Write a comment first."),
        ({"text": "   ", "stance": "support"}, "Write a comment first."),
        ({"text": "字" * 1001, "stance": "support"}, "Keep the comment under 1000 characters."),
        ({"text": "好", "stance": "maybe"}, "Choose support, oppose or neutral."),
        ({"text": "好", "stance": "neutral", "parent": "abc"}, "You can only reply to a comment"),
        (
            {"text": "好", "stance": "neutral", "parent": "999999"},
            "You can only reply to a comment",
        ),
    ],
)
def test_bad_comment_is_refused_with_a_message_and_nothing_saved(
    client, topic, neighbour, data, message
):
    response = client_of(client, neighbour).post(comment_url(topic), data)

    assert response.status_code == 400
    assert message in page(response)
    assert not Comment.objects.exists()
    topic.refresh_from_db()
    assert topic.comment_count == 0


def test_bad_reply_is_shown_under_the_comment_with_the_text_kept(client, topic, neighbour):
    comment = services.post_comment(neighbour, topic, text="原评论")

    response = client_of(client, neighbour).post(
        comment_url(topic), {"text": "我的回复", "stance": "maybe", "parent": comment.pk}
    )

    assert response.status_code == 400
    text = page(response)
    assert 'id="reply"' in text and "我的回复" in text
    assert "Choose support, oppose or neutral." in text
    assert Comment.objects.count() == 1


def test_reply_to_a_comment_of_another_topic_is_refused(
    client, topic, neighbour, proposer, entry, building
):
    other = make_topic(proposer, entry, building, title="另一个议题")
    elsewhere = services.post_comment(neighbour, other, text="别处的评论")

    response = client_of(client, neighbour).post(
        comment_url(topic), {"text": "回复", "stance": "neutral", "parent": elsewhere.pk}
    )

    assert response.status_code == 400
    assert "You can only reply to a comment on this topic." in page(response)
    assert Comment.objects.count() == 1


def test_a_person_without_a_verified_household_may_not_comment(client, topic, resident):
    c = client_of(client, resident)
    assert "Only verified residents of this community" in page(
        c.get(reverse("deliberation:topic", args=[topic.pk]))
    )

    response = c.post(comment_url(topic), {"text": "路过", "stance": "neutral"})

    assert response.status_code == 403
    assert "Only verified residents of this community" in page(response)
    assert not Comment.objects.exists()


def test_hidden_comment_shows_only_the_moderators_reason(client, topic, neighbour, committee):
    comment = services.post_comment(neighbour, topic, text="骂人的话")
    services.hide_comment(committee, comment, "人身攻击")

    text = page(client.get(reverse("deliberation:topic", args=[topic.pk])))

    assert "骂人的话" not in text
    assert "Hidden by a moderator: 人身攻击" in text


def report_url(comment):
    return reverse("deliberation:comment_report", args=[comment.pk])


def test_resident_reports_a_comment(client, topic, neighbour, proposer):
    comment = services.post_comment(neighbour, topic, text="广告")
    c = client_of(client, proposer)
    assert "广告" in page(c.get(report_url(comment)))

    response = c.post(report_url(comment), {"reason": "广告"}, follow=True)

    assert CommentReport.objects.filter(comment=comment, reporter=proposer).exists()
    assert "The moderators will look at the comment." in " ".join(messages_of(response))


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say what is wrong with the comment."), ("长" * 201, "Keep the reason under 200")],
)
def test_bad_report_is_refused_with_a_message(client, topic, neighbour, proposer, reason, message):
    comment = services.post_comment(neighbour, topic, text="评论")

    response = client_of(client, proposer).post(report_url(comment), {"reason": reason})

    assert response.status_code == 400
    assert message in page(response)
    assert not CommentReport.objects.exists()


def test_reporting_ones_own_comment_is_refused(client, topic, neighbour):
    comment = services.post_comment(neighbour, topic, text="我的评论")

    response = client_of(client, neighbour).post(report_url(comment), {"reason": "测试"})

    assert response.status_code == 400
    assert "You cannot report your own comment." in page(response)
    assert not CommentReport.objects.exists()
    comment.refresh_from_db()
    assert comment.report_count == 0


# ---------------------------------------------------------------------------- the later steps


def test_topic_page_shows_schedule_resolution_with_the_polls_outcome_progress_and_timeline(
    client, topic, committee, building
):
    poll = poll_services.create_poll(
        None,
        title="加装电梯表决",
        scope_label="3号楼2单元业主",
        electorate=f"owners:building:{building.pk}:2",
        rule_name="owners_special",
        questions=[{"kind": "yes_no", "text": "是否同意加装电梯？"}],
    )
    poll_services.open_poll(None, poll, [Head(key="x", label="户")])
    services.accept(committee, topic)
    services.schedule(committee, topic, note="4月10日听证会", poll=poll)
    services.mark_deliberated(committee, topic)
    poll_services.close_poll(None, poll)
    poll_services.publish_result(None, poll)
    services.resolve(committee, topic, resolution="暂缓加装。")
    services.start_implementation(
        committee, topic, responsible="property_company", responsible_name="某某物业"
    )
    services.post_progress(committee, topic, "已联系施工单位。")

    text = page(client.get(reverse("deliberation:topic", args=[topic.pk])))

    for expected in (
        "4月10日听证会",
        reverse("polls:detail", args=[poll.pk]),
        "加装电梯表决",
        "暂缓加装。",
        '是否同意加装电梯？: <strong class="failed">not passed</strong>',
        "某某物业",
        "已联系施工单位。",
        "topic scheduled",
        "topic resolved",
        "progress reported",
        "picked by the committee",
    ):
        assert expected in text, expected


def test_topic_page_links_the_meetings_that_take_it_up(client, topic, committee):
    services.accept(committee, topic)
    hearing = MeetingFactory(community=topic.community, kind="hearing", title="加装电梯听证会")
    AgendaItemFactory(meeting=hearing, topic=topic)
    AgendaItemFactory(meeting=hearing, topic=topic)

    text = page(client.get(reverse("deliberation:topic", args=[topic.pk])))

    assert text.count(reverse("deliberation:meeting", args=[hearing.pk])) == 1
    assert "加装电梯听证会" in text


def test_timeline_shows_a_declined_topics_reason(client, topic, committee):
    services.decline(committee, topic, "不属于本社区协商事项。")

    text = page(client.get(reverse("deliberation:topic", args=[topic.pk])))

    assert "topic declined" in text
    assert text.count("不属于本社区协商事项。") == 2  # the declined box and the timeline
    assert "Co-signing is closed." in text


def evaluate_url(topic):
    return reverse("deliberation:topic_evaluate", args=[topic.pk])


def test_household_evaluates_a_closed_topic(client, topic, neighbour, committee):
    walk_to_closed(committee, topic)
    c = client_of(client, neighbour)
    assert 'name="satisfaction"' in page(c.get(reverse("deliberation:topic", args=[topic.pk])))

    response = c.post(evaluate_url(topic), {"satisfaction": "4", "comment": "满意"}, follow=True)

    assert Evaluation.objects.get().satisfaction == 4
    text = page(response)
    assert "Average satisfaction <strong>4.0</strong> of 5, from 1 household." in text
    assert "Your household has already evaluated this topic." in text
    assert 'name="satisfaction"' not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"satisfaction": "6"}, "Choose a satisfaction from 1 to 5."),
        ({"satisfaction": "0"}, "Choose a satisfaction from 1 to 5."),
        ({"satisfaction": "abc"}, "Choose a satisfaction from 1 to 5."),
        ({}, "Choose a satisfaction from 1 to 5."),
        ({"satisfaction": "3", "comment": "字" * 1001}, "Keep the comment under 1000"),
    ],
)
def test_bad_evaluation_is_refused_with_a_message(
    client, topic, neighbour, committee, data, message
):
    walk_to_closed(committee, topic)

    response = client_of(client, neighbour).post(evaluate_url(topic), data)

    assert response.status_code == 400
    assert message in page(response)
    assert not Evaluation.objects.exists()


def test_evaluation_before_the_topic_is_closed_is_refused(client, topic, neighbour):
    response = client_of(client, neighbour).post(
        evaluate_url(topic), {"satisfaction": "5"}, follow=True
    )

    assert "A topic is evaluated once it is closed." in " ".join(messages_of(response))
    assert not Evaluation.objects.exists()
    topic.refresh_from_db()
    assert topic.evaluation_count == 0


def test_a_second_evaluation_from_the_same_household_is_refused(
    client, topic, neighbour, committee
):
    walk_to_closed(committee, topic)
    services.evaluate(neighbour, topic, satisfaction=5)

    response = client_of(client, neighbour).post(
        evaluate_url(topic), {"satisfaction": "1"}, follow=True
    )

    assert "Your household has already evaluated this topic." in " ".join(messages_of(response))
    assert Evaluation.objects.count() == 1


# ---------------------------------------------------------------------------- sign in first


@pytest.mark.parametrize(
    "name",
    [
        "topic_propose",
        "topic_delete",
        "topic_sign",
        "topic_follow",
        "topic_unfollow",
        "topic_comment",
        "topic_evaluate",
    ],
)
def test_anonymous_posts_are_sent_to_sign_in_and_back_to_the_topic(client, topic, name):
    response = client.post(reverse(f"deliberation:{name}", args=[topic.pk]), {"text": "x"})

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert reverse("deliberation:topic", args=[topic.pk]) in response["Location"]
    assert Topic.objects.get().signature_count == 1
    assert not Comment.objects.exists()


def test_anonymous_people_are_sent_to_sign_in_for_reports_notifications_and_my_topics(
    client, topic, neighbour
):
    comment = services.post_comment(neighbour, topic, text="评论")
    for url in (report_url(comment), NOTIFICATIONS, MY_TOPICS):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]
    response = client.post(reverse("deliberation:notifications_read"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_get_on_a_post_endpoint_is_not_allowed(client, topic, proposer):
    response = client_of(client, proposer).get(reverse("deliberation:topic_sign", args=[topic.pk]))

    assert response.status_code == 405


# ---------------------------------------------------------------------------- query counts


def test_topic_page_query_count_does_not_grow_with_comments(
    client, topic, neighbour, proposer, django_assert_max_num_queries
):
    services.post_comment(neighbour, topic, text="第一条")
    c = client_of(client, proposer)
    url = reverse("deliberation:topic", args=[topic.pk])
    with django_assert_max_num_queries(30) as one:
        assert c.get(url).status_code == 200
    first = Comment.objects.get()
    for n in range(49):
        Comment.objects.create(
            topic=topic,
            author=neighbour if n % 2 else proposer,
            text=f"评论{n}",
            parent=first if n % 3 == 0 else None,
            hidden_at=topic.proposed_at if n % 7 == 0 else None,
            hidden_by=proposer if n % 7 == 0 else None,
            hidden_reason="理由" if n % 7 == 0 else "",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = c.get(url)
    assert page(response).count('class="comment') >= 50


# ---------------------------------------------------------------------------- mine


def test_notifications_list_marks_unread_and_marks_all_read(client, topic, neighbour, committee):
    services.sign(neighbour, topic)  # follows
    services.accept(committee, topic)
    services.schedule(committee, topic, note="听证会")
    c = client_of(client, neighbour)

    text = page(c.get(NOTIFICATIONS))
    assert "topic scheduled" in text
    assert 'class="notification unread"' in text

    response = c.post(reverse("deliberation:notifications_read"), follow=True)

    assert not Notification.objects.filter(recipient=neighbour, read_at=None).exists()
    assert 'class="notification unread"' not in page(response)
    assert "marked as read" in " ".join(messages_of(response))


def test_notifications_query_count_does_not_grow(
    client, topic, neighbour, django_assert_max_num_queries
):
    Notification.objects.create(recipient=neighbour, topic=topic, action="a", text="通知")
    c = client_of(client, neighbour)
    with django_assert_max_num_queries(20) as one:
        assert c.get(NOTIFICATIONS).status_code == 200
    Notification.objects.bulk_create(
        Notification(recipient=neighbour, topic=topic, action="a", text=f"通知{n}")
        for n in range(49)
    )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert c.get(NOTIFICATIONS).status_code == 200


def test_my_topics_lists_drafts_proposals_and_followed_topics(
    client, proposer, neighbour, entry, building, topic
):
    make_topic(proposer, entry, building, title="我的草稿", propose=False)
    theirs = make_topic(neighbour, entry, building, title="邻居的议题")
    services.follow(proposer, theirs)

    text = page(client_of(client, proposer).get(MY_TOPICS))

    drafts, rest = text.split("Topics I proposed")
    proposed, followed = rest.split("Topics I follow")
    assert "我的草稿" in drafts
    assert "3号楼2单元加装电梯" in proposed and "我的草稿" not in proposed
    assert "邻居的议题" in followed and "3号楼2单元加装电梯" not in followed


def test_home_page_panel_shows_unread_notifications_and_links(client, topic, neighbour):
    Notification.objects.create(recipient=neighbour, topic=topic, action="a", text="议题有新进展")

    text = page(client_of(client, neighbour).get(reverse("deliberation:my_home")))

    assert "1 unread notification" in text
    assert "议题有新进展" in text
    assert MY_TOPICS in text and NEW in text


def test_navigation_links_to_topics_and_notifications(client, resident):
    assert TOPICS in page(client.get(CATALOG))
    text = page(client_of(client, resident).get(CATALOG))
    assert TOPICS in text and NOTIFICATIONS in text


def test_unknown_topic_is_not_found(client):
    assert client.get(reverse("deliberation:topic", args=[999999])).status_code == 404


def test_reporting_needs_no_javascript_and_works_for_a_reply_of_a_comment(
    client, topic, neighbour, proposer
):
    parent = services.post_comment(proposer, topic, text="原评论")
    reply = services.post_comment(neighbour, topic, text="回复", parent=parent)

    text = page(client_of(client, proposer).get(reverse("deliberation:topic", args=[topic.pk])))

    assert report_url(reply) in text
    assert report_url(parent) not in text  # one's own comment
