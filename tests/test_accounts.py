"""Sign-up and sign-in by mainland mobile number and SMS code; TOTP for staff."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.utils import translation

from deliberation import sms
from deliberation.models import User

from .factories import UserFactory, sign_in_staff, staff_of, with_totp

pytestmark = pytest.mark.django_db


def last_code() -> str:
    return re.search(r"(?<!\d)\d{6}(?!\d)", sms.outbox[-1].text).group()


def test_sign_up_with_an_eleven_digit_number_sends_a_six_digit_code(client):
    response = client.post(
        "/accounts/signup/", {"phone": "138 1234 5678", "display_name": "王阿姨"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert sms.outbox[-1].phone == "+8613812345678"
    user = User.objects.get()
    assert user.phone == "+8613812345678"
    assert user.display_name == "王阿姨"
    assert not user.phone_verified
    assert not user.has_usable_password()


def test_entering_the_code_verifies_the_phone_and_opens_my_home(client):
    client.post("/accounts/signup/", {"phone": "13812345678", "display_name": "王阿姨"})
    response = client.post("/accounts/phone/verify/", {"code": last_code()})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert User.objects.get().phone_verified
    assert client.get("/me/").status_code == 200


def test_a_wrong_code_is_refused(client):
    client.post("/accounts/signup/", {"phone": "13812345678", "display_name": "王阿姨"})
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post("/accounts/phone/verify/", {"code": wrong})
    assert response.status_code == 200
    assert not User.objects.get().phone_verified


@pytest.mark.parametrize(
    "phone",
    ["12345", "1381234567", "abcdefghijk", "+1 202 555 0100x", "", "010-12345678"],
)
def test_sign_up_with_a_bad_number_is_refused_with_a_message(client, phone):
    with translation.override("en"):
        response = client.post(
            "/accounts/signup/",
            {"phone": phone, "display_name": "王阿姨"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "id_phone_error" in response.content.decode()
    assert not User.objects.exists()
    assert not sms.outbox


def test_sign_up_without_a_display_name_is_refused(client):
    response = client.post("/accounts/signup/", {"phone": "13812345678", "display_name": " "})
    assert response.status_code == 200
    assert not User.objects.exists()


def test_sign_in_by_code(client):
    user = UserFactory(phone="+8613812345678")
    response = client.post("/accounts/login/", {"login": "13812345678"})
    assert response["Location"] == "/accounts/login/code/confirm/"
    response = client.post("/accounts/login/code/confirm/", {"code": last_code()})
    assert response["Location"] == "/me/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_staff_member_must_enter_a_totp_code_after_the_sms_code(client, community):
    staff_of(community, phone="+8613900000001")
    client.post("/accounts/login/", {"login": "13900000001"})
    response = client.post("/accounts/login/code/confirm/", {"code": last_code()})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session


def test_staff_member_without_totp_is_sent_to_set_it_up(client, community):
    user = staff_of(community)
    Authenticator.objects.filter(user=user).delete()
    client.force_login(user)
    for path in ("/me/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_member_with_totp_reaches_the_back_office(client, community):
    sign_in_staff(client, staff_of(community))
    assert client.get("/admin/").status_code == 200


def test_resident_without_a_role_needs_no_totp_and_has_no_back_office(client):
    client.force_login(UserFactory())
    assert client.get("/me/").status_code == 200
    assert client.get("/admin/").status_code == 302  # to the admin's own login


def test_totp_is_available_to_every_resident(client):
    client.force_login(with_totp(UserFactory()))
    assert client.get("/accounts/2fa/").status_code == 200


class RefusingGateway:
    def send(self, phone, text):
        from deliberation.sms import SmsError

        raise SmsError("quota exceeded")


def test_a_refused_sms_shows_an_error_instead_of_failing(client, settings):
    settings.YISHI_SMS_BACKEND = "tests.test_accounts.RefusingGateway"
    UserFactory(phone="+8613812345678")
    response = client.post("/accounts/login/", {"login": "13812345678"}, follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_display_name_is_stripped_of_markup(client):
    client.post(
        "/accounts/signup/",
        {"phone": "13812345678", "display_name": "<b>王阿姨</b><script>alert(1)</script>"},
    )
    assert User.objects.get().display_name == "王阿姨"


def test_display_name_of_only_markup_is_refused(client):
    response = client.post(
        "/accounts/signup/", {"phone": "13812345678", "display_name": "<script>x</script>"}
    )
    assert response.status_code == 200
    assert not User.objects.exists()


def test_totp_secrets_are_encrypted_at_rest():
    from allauth.mfa.utils import decrypt

    user = with_totp(UserFactory())
    stored = Authenticator.objects.get(user=user).data["secret"]
    assert stored.startswith("fernet:")
    secret = decrypt(stored)
    assert secret not in stored and len(secret) == 32


def test_staff_session_without_a_totp_code_must_confirm_one(client, community):
    """Owning an authenticator is not enough: this session must have used it."""
    client.force_login(staff_of(community))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/?next=")


def test_wagtail_password_login_is_closed(client, community):
    from django.contrib.auth.hashers import make_password

    staff = staff_of(community, phone="+8613900000009")
    User.objects.filter(pk=staff.pk).update(password=make_password("s3cret-pass"))
    client.post("/admin/login/", {"username": staff.phone, "password": "s3cret-pass"})
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/accounts/password/set/", "/accounts/password/change/", "/accounts/password/reset/"]
)
def test_password_pages_do_not_exist(client, path):
    client.force_login(UserFactory())
    assert client.get(path).status_code == 404


def test_create_superuser_keeps_no_password_and_normalises_the_phone():
    user = User.objects.create_superuser("139 1111 2222", password="ignored-password")
    assert user.phone == "+8613911112222"
    assert not user.has_usable_password()


def test_a_number_gets_at_most_one_code_a_minute(client):
    UserFactory(phone="+8613812345678")
    client.post("/accounts/login/", {"login": "13812345678"})
    client.post("/accounts/login/", {"login": "13812345678"})
    assert len(sms.outbox) == 1
