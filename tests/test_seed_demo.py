"""The demo community that `./dev run` loads."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command

from deliberation.models import Dwelling, Membership, Role, TraceEntry, User
from deliberation.trace import verify

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
