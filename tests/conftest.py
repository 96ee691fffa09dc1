import pytest
from django.conf import settings
from django.core.cache import cache

from deliberation import sms

from .factories import CommunityFactory, DwellingFactory, UserFactory, sign_in_staff, staff_of


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Tests use plain connections: a pool (a server process's concern) would keep a
    connection open to the test database when pytest drops it at the end."""
    settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)


def clear_cache() -> None:
    """Empty this test process's cache. Redis's clear() would flush the whole database,
    counters of the other xdist workers included (they share one Redis with their own
    key prefix), so there only this worker's keys go."""
    options = settings.CACHES["default"]
    if not options["BACKEND"].endswith("RedisCache"):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{options['KEY_PREFIX']}:*"):
        client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_outbox_and_rate_limits():
    """Each test starts with no sent SMS and no rate-limit counters from earlier tests."""
    sms.outbox.clear()
    clear_cache()
    yield
    sms.outbox.clear()


@pytest.fixture
def community(db):
    return CommunityFactory(name="幸福里社区")


@pytest.fixture
def dwelling(community):
    return DwellingFactory(building__compound__community=community)


@pytest.fixture
def resident(db):
    return UserFactory()


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def other_community(db):
    return CommunityFactory(name="向阳社区")


@pytest.fixture
def committee(community):
    """A residents' committee member of `community`, with TOTP."""
    return staff_of(community, "residents_committee")


@pytest.fixture
def committee_client(client, committee):
    sign_in_staff(client, committee)
    return client
