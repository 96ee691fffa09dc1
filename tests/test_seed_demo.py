"""The demo community that `./dev run` loads."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command

from deliberation import queries
from deliberation.models import (
    Comment,
    Council,
    Dwelling,
    Evaluation,
    Follow,
    Meeting,
    Membership,
    Minutes,
    Notification,
    ProgressUpdate,
    Role,
    RoomEvent,
    Signature,
    Topic,
    TraceEntry,
    User,
)
from deliberation.trace import verify
from polls.models import Poll

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_believable_community_and_is_idempotent():
    call_command("seed_demo", stdout=None)
    dwellings = Dwelling.objects.count()
    assert 1200 <= dwellings <= 1800
    assert Dwelling.objects.filter(developer_held=True).exists()
    assert Membership.objects.filter(status="verified").count() > 100
    assert Membership.objects.filter(status="pending").exists()
    assert set(Role.objects.values_list("kind", flat=True)) == set(Role.Kind.values)
    wang = User.objects.get(phone="+8613800000001")
    assert wang.memberships.get().status == "verified"
    counts = (User.objects.count(), Membership.objects.count(), TraceEntry.objects.count())

    call_command("seed_demo")
    assert (User.objects.count(), Membership.objects.count(), TraceEntry.objects.count()) == counts
    assert Dwelling.objects.count() == dwellings
    assert verify()[1] is None


def test_seed_demo_has_topics_in_every_status_and_running_it_again_changes_none():
    call_command("seed_demo", stdout=None)
    topics = Topic.objects.all()
    assert set(topics.values_list("status", flat=True)) == set(Topic.Status.values)
    accepted = topics.filter(status=Topic.Status.ACCEPTED)
    assert set(accepted.values_list("accepted_by", flat=True)) == {"threshold", "committee"}
    assert topics.filter(status=Topic.Status.PROPOSED).count() >= 2
    assert all(t.decline_reason for t in topics.filter(status=Topic.Status.DECLINED))
    resolved = topics.get(status=Topic.Status.RESOLVED)
    assert resolved.poll.state == Poll.State.PUBLISHED
    implementing = topics.get(status=Topic.Status.IMPLEMENTING)
    assert implementing.responsible == Topic.Responsible.PROPERTY_COMPANY
    assert ProgressUpdate.objects.filter(
        topic=implementing, author__roles__kind=Role.Kind.PROPERTY_COMPANY
    ).exists()
    closed = topics.get(status=Topic.Status.CLOSED)
    assert closed.evaluation_count == Evaluation.objects.filter(topic=closed).count() >= 3
    assert 1 <= closed.average_satisfaction <= 5
    comments = Comment.objects.all()
    assert set(comments.values_list("stance", flat=True)) == set(Comment.Stance.values)
    assert comments.filter(parent__isnull=False).exists()
    assert comments.filter(report_count__gt=0, hidden_at=None).exists()
    hidden = comments.get(hidden_at__isnull=False)
    assert hidden.hidden_reason and hidden.report_count
    assert Follow.objects.filter(user__phone="+8613800000002").exists()
    assert Notification.objects.exists()
    assert verify()[1] is None

    models = (Topic, Signature, Comment, Evaluation, ProgressUpdate, Follow, Notification)
    counts = [m.objects.count() for m in models] + [TraceEntry.objects.count()]
    statuses = dict(topics.values_list("pk", "status"))
    call_command("seed_demo", stdout=None)
    assert [m.objects.count() for m in models] + [TraceEntry.objects.count()] == counts
    assert dict(Topic.objects.values_list("pk", "status")) == statuses


def test_demo_elevator_topic_is_co_signed_into_the_queue_and_scheduled_for_the_owners_vote():
    call_command("seed_demo", stdout=None)
    topic = Topic.objects.get(title="3号楼2单元加装电梯")
    wang = User.objects.get(phone="+8613800000001")
    assert topic.proposed_by == wang
    assert (topic.building.name, topic.entrance, topic.catalog_entry.name) == (
        "3号楼",
        "2",
        "加装电梯",
    )
    assert topic.status == Topic.Status.SCHEDULED
    assert topic.accepted_by == Topic.AcceptedBy.THRESHOLD
    assert topic.signature_count > topic.catalog_entry.threshold_households
    signers = Signature.objects.filter(topic=topic)
    assert {s.dwelling.entrance for s in signers} == {"2"}
    assert "听证会" in topic.schedule_note
    assert topic.poll.rule_name == "owners_special"
    assert topic.poll.electorate == f"owners:building:{topic.building_id}:2"
    assert topic.poll.state == Poll.State.OPEN

    timeline = [entry.action for entry in queries.topic_timeline(topic)]
    assert timeline == ["topic.proposed", "topic.accepted", "topic.scheduled"]
    accepted = queries.topic_timeline(topic).get(action="topic.accepted")
    assert accepted.actor is None and accepted.after["accepted_by"] == "threshold"
    assert verify()[1] is None


def test_demo_hearing_on_the_elevator_is_ready_for_the_chair_with_speakers_and_the_vote():
    call_command("seed_demo", stdout=None)
    hearing = Meeting.objects.get(title="听证会：3号楼2单元加装电梯方案")
    assert hearing.kind == Meeting.Kind.HEARING and hearing.mode == Meeting.Mode.HYBRID
    assert hearing.state == Meeting.State.SCHEDULED
    assert (hearing.building.name, hearing.entrance) == ("3号楼", "2")
    assert hearing.chair.phone == "+8613900000001"
    agenda = list(hearing.agenda.order_by("position"))
    assert agenda[-1].poll.title == "3号楼2单元加装电梯及使用维修资金"
    assert agenda[-1].poll.rule_name == "owners_special"
    assert all(item.topic.title == "3号楼2单元加装电梯" for item in agenda)
    speakers = hearing.registrations.filter(wants_to_speak=True)
    assert set(speakers.values_list("stance", flat=True)) == {"for", "against", "neutral"}
    assert all(speakers.values_list("statement", flat=True))
    wang = User.objects.get(phone="+8613800000001")
    assert Notification.objects.filter(recipient=wang, meeting=hearing).exists()
    assert Council.objects.filter(community=hearing.community).count() >= 3


def test_demo_has_a_past_council_meeting_with_published_minutes_and_stays_the_same():
    call_command("seed_demo", stdout=None)
    minutes = Minutes.objects.get()
    assert minutes.is_published
    assert minutes.meeting.state == Meeting.State.CLOSED
    assert "楼道堆物清理方案" in minutes.text
    events = RoomEvent.objects.filter(meeting=minutes.meeting).order_by("seq")
    assert list(events.values_list("seq", flat=True)) == list(range(1, events.count() + 1))
    counts = [m.objects.count() for m in (Meeting, Council, RoomEvent, Minutes)]
    call_command("seed_demo", stdout=None)
    assert [m.objects.count() for m in (Meeting, Council, RoomEvent, Minutes)] == counts
    assert verify()[1] is None


def test_demo_totp_prints_the_current_code_of_a_demo_staff_account(capsys):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("demo_totp", "13900000001")
    code = capsys.readouterr().out.strip()
    authenticator = Authenticator.objects.get(user__phone="+8613900000001")
    assert validate_totp_code(decrypt(authenticator.data["secret"]), code)


@pytest.mark.parametrize("phone", ["12345", "13700009999"])
def test_demo_totp_refuses_unknown_numbers(phone):
    with pytest.raises(CommandError):
        call_command("demo_totp", phone)


def test_demo_totp_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("demo_totp", "13900000001")


def test_seed_demo_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()
