import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "议事" in response.content.decode()


def test_my_home_asks_anonymous_people_to_sign_in(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_back_office_sends_strangers_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("rows", [1, 50])
def test_public_record_query_count_does_not_grow_with_entries(
    client, rows, django_assert_max_num_queries
):
    from deliberation.models import Community
    from deliberation.services import places

    from .factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    for i in range(rows):
        places.save_place(admin, Community(name=f"社区{i}"), created=True)
    with django_assert_max_num_queries(4):
        response = client.get("/trace/")
    assert response.content.decode().count('class="card"') == rows


def test_public_record_hides_private_entries(client, resident, dwelling):
    from deliberation.models import TraceEntry
    from deliberation.services import people

    people.claim_dwelling(resident, dwelling, "owner")
    entry = TraceEntry.objects.get()
    page = client.get("/trace/").content.decode()
    assert entry.object_label not in page
    assert 'class="card"' not in page
