"""Test factories (factory_boy). Phone numbers are unique and valid mainland mobiles."""

import time
from datetime import timedelta
from decimal import Decimal

import factory
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from deliberation.models import (
    AgendaItem,
    Building,
    CatalogEntry,
    Community,
    Compound,
    Council,
    Dwelling,
    Meeting,
    Membership,
    User,
)
from deliberation.services import people


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试{n}社区")
    district = "测试区"


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compound

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}小区")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    compound = factory.SubFactory(CompoundFactory)
    name = factory.Sequence(lambda n: f"{n}号楼")


class DwellingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dwelling

    building = factory.SubFactory(BuildingFactory)
    entrance = "1"
    floor = 3
    number = factory.Sequence(lambda n: f"{300 + n}")
    registered_area = Decimal("89.50")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    phone_verified = True
    display_name = factory.Sequence(lambda n: f"居民{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    dwelling = factory.SubFactory(DwellingFactory)
    kind = Membership.Kind.OWNER


class CatalogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogEntry

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"协商事项{n}")
    level = "building"
    procedure = CatalogEntry.Procedure.COUNCIL_MEETING
    threshold_households = 3


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Council

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}议事会")


class MeetingFactory(factory.django.DjangoModelFactory):
    """A hybrid council meeting of a whole community, an hour from now."""

    class Meta:
        model = Meeting

    community = factory.SubFactory(CommunityFactory)
    kind = Meeting.Kind.COUNCIL_MEETING
    title = factory.Sequence(lambda n: f"议事会会议{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    venue = "社区活动室"
    chair = factory.SubFactory(UserFactory)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"议程{n}")


def verified_member(dwelling: Dwelling, kind: str = Membership.Kind.OWNER, **user) -> User:
    """A person whose claim to `dwelling` staff have verified."""
    membership = MembershipFactory(
        dwelling=dwelling,
        kind=kind,
        status=Membership.Status.VERIFIED,
        user__email="",
        **{f"user__{k}": v for k, v in user.items()},
    )
    if membership.is_owner:
        Dwelling.objects.filter(pk=dwelling.pk).update(owner=membership.user)
    return membership.user


def with_totp(user: User) -> User:
    """Give a user a TOTP authenticator, as every staff member must have."""
    TOTP.activate(user, generate_totp_secret())
    return user


def staff_of(community: Community, kind: str = "residents_committee", **kwargs) -> User:
    """A committee member of `community` with TOTP set up."""
    user = UserFactory(**kwargs)
    people.grant_role(None, user, kind, community)
    user.refresh_from_db()
    return with_totp(user)


def sign_in_staff(client, user: User) -> None:
    """Sign a staff member in as allauth would after their TOTP code: the session
    records the "mfa" step that the staff middleware looks for."""
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "code", "at": time.time(), "phone": user.phone},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session.save()
