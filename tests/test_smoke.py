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
