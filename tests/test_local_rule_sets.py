"""A community adds its own rule set as data, without code."""

import json

import pytest

from polls import services
from polls.models import LocalRuleSet
from polls.registry import get_ruleset

from .factories import UserFactory, sign_in_staff, with_totp

pytestmark = pytest.mark.django_db

THREE_FIFTHS = {
    "counting": "household",
    "quorum": [{"basis": "heads", "compare": "more_than", "fraction": "1/2"}],
    "passing": [{"basis": "heads", "compare": "at_least", "fraction": "3/5"}],
}


@pytest.fixture
def superuser_client(client):
    user = with_totp(UserFactory(is_superuser=True, is_staff=True))
    sign_in_staff(client, user)
    return client


def test_a_local_rule_set_is_added_in_the_back_office_and_used_by_a_poll(superuser_client):
    response = superuser_client.post(
        "/admin/local_rule_sets/new/",
        {"name": "three_fifths", "label": "五分之三", "data": json.dumps(THREE_FIFTHS)},
    )
    assert response.status_code == 302
    rule = get_ruleset("three_fifths")
    assert str(rule.passing[0].fraction) == "3/5"
    poll = services.create_poll(
        None,
        title="t",
        scope_label="s",
        electorate="x",
        rule_name="three_fifths",
        questions=[{"kind": "yes_no", "text": "q?"}],
    )
    assert poll.rule["passing"][0]["fraction"] == "3/5"


@pytest.mark.parametrize(
    "data",
    [
        {
            "counting": "household",
            "passing": [{"basis": "area", "compare": "at_least", "fraction": "1/2"}],
        },
        {
            "counting": "household",
            "passing": [{"basis": "heads", "compare": "about", "fraction": "1/2"}],
        },
        {
            "counting": "household",
            "passing": [{"basis": "heads", "compare": "at_least", "fraction": "3/2"}],
        },
        {"counting": "galaxy", "passing": []},
        {"counting": "household"},
        ["not", "an", "object"],
    ],
)
def test_a_malformed_local_rule_set_is_refused(superuser_client, data):
    response = superuser_client.post(
        "/admin/local_rule_sets/new/",
        {"name": "broken", "label": "坏规则", "data": json.dumps(data)},
    )
    assert response.status_code == 200
    assert not LocalRuleSet.objects.exists()


def test_a_built_in_name_cannot_be_taken(superuser_client):
    superuser_client.post(
        "/admin/local_rule_sets/new/",
        {"name": "owners_ordinary", "label": "x", "data": json.dumps(THREE_FIFTHS)},
    )
    assert not LocalRuleSet.objects.exists()


def test_adding_changing_and_deleting_a_local_rule_set_are_recorded_publicly(superuser_client):
    from deliberation.models import TraceEntry

    superuser_client.post(
        "/admin/local_rule_sets/new/",
        {"name": "three_fifths", "label": "五分之三", "data": json.dumps(THREE_FIFTHS)},
    )
    rule_set = LocalRuleSet.objects.get(name="three_fifths")
    superuser_client.post(
        f"/admin/local_rule_sets/edit/{rule_set.pk}/",
        {"name": "three_fifths", "label": "五分之三多数", "data": json.dumps(THREE_FIFTHS)},
    )
    superuser_client.post(f"/admin/local_rule_sets/delete/{rule_set.pk}/")
    assert not LocalRuleSet.objects.exists()
    entries = list(TraceEntry.objects.filter(object_type="polls.localruleset").order_by("seq"))
    assert [e.action for e in entries] == [
        "rule_set.created",
        "rule_set.changed",
        "rule_set.deleted",
    ]
    assert all(e.is_public and e.community_id is None for e in entries)
    assert entries[1].before == {"label": "五分之三"}
    assert entries[1].after == {"label": "五分之三多数"}
    assert entries[2].before["data"] == THREE_FIFTHS


def test_saving_a_local_rule_set_unchanged_records_nothing(superuser_client):
    from deliberation.models import TraceEntry

    rule_set = LocalRuleSet.objects.create(name="three_fifths", label="五分之三", data=THREE_FIFTHS)
    superuser_client.post(
        f"/admin/local_rule_sets/edit/{rule_set.pk}/",
        {"name": "three_fifths", "label": "五分之三", "data": json.dumps(THREE_FIFTHS)},
    )
    assert not TraceEntry.objects.filter(object_type="polls.localruleset").exists()
