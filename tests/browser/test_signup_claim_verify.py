"""A resident signs up on a phone, claims a dwelling, and a committee member verifies it."""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from playwright.sync_api import expect

from deliberation.models import Membership, User

from ..factories import DwellingFactory, staff_of

# serialized_rollback: the site root and home page made by migrations come back after
# the flush that ends each transactional test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def submit(page, field: str) -> None:
    """Presses the submit button of the form holding the input named `field`."""
    page.locator(f"form:has([name='{field}']) [type=submit]").first.click()


def current_totp(user: User) -> str:
    """What the staff member's authenticator app shows now, with time left to type it."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(3)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def test_resident_signs_up_claims_a_dwelling_and_staff_verifies_it(
    new_phone, screenshot, last_sms_code, live_server
):
    dwelling = DwellingFactory(
        building__compound__community__name="幸福里社区",
        building__name="3号楼",
        entrance="2",
        number="301",
    )
    community = dwelling.building.compound.community
    staff = staff_of(community, "residents_committee", phone="+8613900000001")

    # 1. The resident signs up with a phone number and the code sent to it.
    resident_page = new_phone()
    resident_page.goto("/accounts/signup/")
    resident_page.fill("[name=phone]", "13812345678")
    resident_page.fill("[name=display_name]", "王阿姨")
    screenshot(resident_page, "01-signup")
    submit(resident_page, "phone")
    resident_page.wait_for_url("**/accounts/phone/verify/")
    screenshot(resident_page, "02-verify-phone")
    resident_page.fill("[name=code]", last_sms_code("+8613812345678"))
    submit(resident_page, "code")
    resident_page.wait_for_url("**/me/")
    expect(resident_page.locator("h1")).to_contain_text("王阿姨")
    screenshot(resident_page, "03-my-home-empty")
    resident = User.objects.get(phone="+8613812345678")
    assert resident.phone_verified

    # 2. The resident claims dwelling 3号楼 2单元 301 as its owner.
    resident_page.click("a[href='/me/claim/']")
    resident_page.wait_for_url("**/me/claim/")
    building_option = resident_page.locator("select[name=building] option", has_text="3号楼")
    resident_page.select_option(
        "select[name=building]", value=building_option.get_attribute("value")
    )
    resident_page.fill("[name=entrance]", "2")
    resident_page.fill("[name=number]", "301")
    resident_page.select_option("select[name=kind]", value=Membership.Kind.OWNER)
    screenshot(resident_page, "04-claim")
    submit(resident_page, "number")
    resident_page.wait_for_url("**/me/")
    expect(resident_page.locator(".membership.status-pending .badge-pending")).to_be_visible()
    screenshot(resident_page, "05-my-home-pending")
    membership = Membership.objects.get(user=resident)
    assert membership.dwelling == dwelling
    assert membership.status == Membership.Status.PENDING

    # 3. A residents' committee member signs in (SMS code, then TOTP) and verifies it.
    staff_page = new_phone()
    staff_page.goto("/accounts/login/")
    staff_page.fill("[name=login]", "13900000001")
    screenshot(staff_page, "06-login")
    submit(staff_page, "login")
    staff_page.wait_for_url("**/accounts/login/code/confirm/")
    staff_page.fill("[name=code]", last_sms_code("+8613900000001"))
    submit(staff_page, "code")
    staff_page.wait_for_url("**/accounts/2fa/authenticate/")
    screenshot(staff_page, "07-totp")
    staff_page.fill("[name=code]", current_totp(staff))
    submit(staff_page, "code")
    staff_page.wait_for_url("**/me/")
    staff_page.goto("/admin/verification/")
    screenshot(staff_page, "08-verification-queue")
    verify_url = f"/admin/verification/{membership.pk}/verify/"
    with staff_page.expect_response(
        lambda r: r.url.endswith(verify_url) and r.request.method == "POST"
    ) as verified:
        staff_page.click(f"[data-verify='{membership.pk}']")
    assert verified.value.status < 400
    staff_page.wait_for_load_state()
    screenshot(staff_page, "09-verification-queue-after")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VERIFIED
    assert membership.decided_by == staff

    # 4. The resident sees the claim verified.
    resident_page.reload()
    expect(resident_page.locator(".membership.status-verified")).to_be_visible()
    expect(resident_page.locator(".membership.status-pending")).to_have_count(0)
    screenshot(resident_page, "10-my-home-verified")


def test_sign_up_with_a_bad_phone_number_shows_an_error_and_creates_no_user(new_phone, screenshot):
    page = new_phone()
    page.goto("/accounts/signup/")
    page.fill("[name=phone]", "12345")
    page.fill("[name=display_name]", "王阿姨")
    submit(page, "phone")
    error = page.locator(".errorlist, .error, [role=alert]").first
    expect(error).to_be_visible()
    expect(error).to_contain_text("13812345678")
    screenshot(page, "11-signup-bad-phone")
    assert page.url.endswith("/accounts/signup/")
    assert not User.objects.exists()
