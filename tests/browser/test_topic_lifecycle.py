"""On the demo, a topic goes the whole way on phones: a resident proposes it, neighbours
co-sign it into the queue, the residents' committee schedules it for a vote and
resolves it with the vote's result, the property company reports progress, the topic
is closed and the households evaluate it; each step shows on the topic's timeline."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from deliberation.models import Topic, User
from deliberation.services import polls as poll_services
from polls.models import Poll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "3号楼2单元楼道电动车充电隐患"


def in_thread(function, *args, **kwargs):
    """Services broadcast after commit through async_to_sync, which refuses to run in
    this thread, where Playwright keeps an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def person(phone: str) -> User:
    return User.objects.get(phone=phone)


def open_households_vote(chair: User, topic: Topic) -> Poll:
    poll = poll_services.create_poll(
        chair,
        kind="households",
        place=topic.building,
        entrance=topic.entrance,
        title="3号楼2单元楼道禁止电动车充电",
        questions=[{"kind": "yes_no", "text": "是否同意楼道内禁止电动车充电，改到车棚充电桩？"}],
    )
    poll_services.prepare_roll(chair, poll)
    poll_services.open_poll(chair, poll)
    return poll


def count_paper_ballots_and_close(chair: User, poll: Poll) -> None:
    question = poll.questions.get()
    yes = question.options.get(code="yes").pk
    for entry in poll.roll.entries.order_by("pk"):
        poll_services.enter_paper_ballot(chair, poll, entry, {question.pk: yes})
    poll_services.close_poll(chair, poll)
    poll_services.publish_result(chair, poll)


def submit_step(page, step: str) -> None:
    page.locator(f"form[data-step='{step}'] [type=submit]").click()
    page.wait_for_load_state()


def test_a_topic_goes_from_a_residents_proposal_to_its_evaluation(asgi_phone, screenshot):
    in_thread(call_command, "seed_demo", stdout=None)
    zhao = person("+8613800000007")  # 赵大爷, 3号楼 2单元
    neighbours = [person("+8613800000008"), person("+8613800000006")]  # 吴先生, 周奶奶
    chair = person("+8613900000001")  # 张主任, residents' committee
    manager = person("+8613900000004")  # 赵经理, property company

    # 1. 赵大爷 proposes the topic from his phone, under 公共安全 (3 households to queue).
    phone = asgi_phone(zhao)
    phone.goto("/topics/new/")
    phone.select_option("select[name=catalog_entry]", label="公共安全")
    scope = phone.locator("select[name=scope] option", has_text="2单元").first
    phone.select_option("select[name=scope]", value=scope.get_attribute("value"))
    phone.fill("[name=title]", TITLE)
    phone.fill(
        "[name=body]", "楼道里常有电动车充电，电线拖到一楼，夜里存在火灾隐患。建议禁止楼道充电。"
    )
    screenshot(phone, "20-topic-propose")
    phone.locator("button[value=propose]").click()
    phone.wait_for_url("**/topics/*/")
    topic = Topic.objects.get(title=TITLE)
    assert (topic.status, topic.signature_count) == (Topic.Status.PROPOSED, 1)
    topic_url = f"/topics/{topic.pk}/"

    # 2. Two neighbours co-sign: the third household puts it in the committee's queue.
    for neighbour in neighbours:
        page = asgi_phone(neighbour)
        page.goto(topic_url)
        page.locator(f"form[action='{topic_url}sign/'] [type=submit]").click()
        page.wait_for_url(f"**{topic_url}**")
    screenshot(page, "21-topic-co-signed")
    topic.refresh_from_db()
    assert (topic.status, topic.accepted_by) == (Topic.Status.ACCEPTED, "threshold")
    assert topic.signature_count == 3

    # 3. The committee schedules it for a households' vote of the entrance.
    poll = in_thread(open_households_vote, chair, topic)
    back_office = asgi_phone(chair, staff=True)
    back_office.goto("/admin/topics/")
    expect(back_office.locator("main")).to_contain_text(TITLE)
    back_office.goto(f"/admin/topics/{topic.pk}/")
    back_office.fill("form[data-step='schedule'] [name=note]", "社区议事会：楼道充电隐患整改")
    back_office.select_option("form[data-step='schedule'] [name=poll]", value=str(poll.pk))
    screenshot(back_office, "22-topic-back-office")
    submit_step(back_office, "schedule")
    topic.refresh_from_db()
    assert (topic.status, topic.poll_id) == (Topic.Status.SCHEDULED, poll.pk)

    # 4. The households vote (on paper here; online voting has its own test), the poll
    # closes, and the committee resolves the topic with the vote linked.
    in_thread(count_paper_ballots_and_close, chair, poll)
    back_office.reload()
    submit_step(back_office, "deliberated")
    back_office.fill(
        "form[data-step='resolve'] [name=resolution]", "楼道禁止充电，物业在车棚增设充电桩。"
    )
    submit_step(back_office, "resolve")
    back_office.select_option("form[data-step='implement'] [name=responsible]", "property_company")
    back_office.fill("form[data-step='implement'] [name=responsible_name]", "幸福里物业")
    submit_step(back_office, "implement")
    topic.refresh_from_db()
    assert (topic.status, topic.poll_id) == (Topic.Status.IMPLEMENTING, poll.pk)

    # 5. The property company reports progress; the committee closes the topic.
    property_office = asgi_phone(manager, staff=True)
    property_office.goto(f"/admin/topics/{topic.pk}/")
    expect(property_office.locator("form[data-step='close']")).to_have_count(0)
    property_office.fill(
        "form[data-step='progress'] [name=text]", "车棚充电桩已安装8个，楼道已清理。"
    )
    submit_step(property_office, "progress")
    assert topic.progress_updates.get().on_behalf_of == "幸福里物业"
    back_office.reload()
    submit_step(back_office, "close")
    topic.refresh_from_db()
    assert topic.status == Topic.Status.CLOSED

    # 6. 赵大爷 evaluates it from his phone.
    phone.goto(topic_url)
    phone.locator(".evaluation-form label", has_text="5").first.click()
    phone.fill(".evaluation-form [name=comment]", "处理得快，楼道安全多了。")
    phone.locator(".evaluation-form [type=submit]").click()
    phone.wait_for_url(f"**{topic_url}**")
    topic.refresh_from_db()
    assert (topic.evaluation_count, topic.satisfaction_total) == (1, 5)

    # 7. Every step is on the public timeline, in order, for anyone to read.
    reader = asgi_phone(neighbours[0])
    reader.goto(topic_url)
    steps = reader.locator("ol.timeline li[data-action]")
    assert [steps.nth(i).get_attribute("data-action") for i in range(steps.count())] == [
        "topic.proposed",
        "topic.accepted",
        "topic.scheduled",
        "topic.deliberated",
        "topic.resolved",
        "topic.implementing",
        "topic.progress",
        "topic.closed",
    ]
    expect(reader.locator("ol.timeline")).to_contain_text("幸福里物业")
    screenshot(reader, "23-topic-timeline")
