"""On the demo, a resident on a phone reads the notices for her building, confirms the
urgent one, opens a finance disclosure with its chart, downloads its CSV and asks a
question; the notice prints on one A4 sheet."""

import csv
import re

import pytest
from playwright.sync_api import expect

from cms.models import DisclosurePage, DisclosureQuestion, NoticePage, NoticeRead
from deliberation.models import User

from .test_resident_votes import seed_demo

# serialized_rollback: the site root and home page made by migrations come back after
# the flush that ends each transactional test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

A4_HEIGHT_PX = 1123  # 297 mm at 96 px per inch


def test_resident_reads_notices_and_questions_a_finance_disclosure(
    asgi_phone, asgi_server, browser, screenshot
):
    seed_demo()
    wang = User.objects.get(phone="+8613800000001")
    urgent = NoticePage.objects.get(slug="water-3-2")
    july = DisclosurePage.objects.get(slug="finance-2026-07")

    # Her home lists the notices for her building, the urgent one first.
    phone = asgi_phone(wang)
    phone.goto("/me/")
    panel = phone.locator(".notices-panel")
    expect(panel).to_contain_text("紧急通知：3号楼2单元明日停水检修")
    expect(panel).to_contain_text("关于小区停车位调整的通知")
    screenshot(phone, "21-my-home-notices")

    panel.get_by_role("link", name=re.compile("停水检修")).first.click()
    expect(phone.locator("h1")).to_contain_text("停水检修")
    phone.locator(f"form[action='/pages/notices/{urgent.pk}/read/'] [type=submit]").click()
    expect(phone.locator(f"form[action='/pages/notices/{urgent.pk}/read/']")).to_have_count(0)
    assert NoticeRead.objects.filter(notice=urgent, user=wang).count() == 1
    screenshot(phone, "22-urgent-notice-read")

    # The finance disclosure: statement, chart, CSV.
    phone.goto(july.url)
    expect(phone.locator("h1")).to_contain_text("7月财务收支公开")
    statement = phone.locator("table").first
    expect(statement).to_contain_text("PZ-2026-07-002")
    expect(phone.locator("svg[role=img]").first).to_be_visible()
    screenshot(phone, "23-finance-disclosure")
    with phone.expect_download() as download:
        phone.get_by_role("link", name=re.compile("CSV")).first.click()
    with open(download.value.path(), encoding="utf-8-sig") as downloaded:
        rows = list(csv.reader(downloaded))
    assert any("PZ-2026-07-002" in row for row in rows)
    assert any("1280.50" in row for row in rows)

    # She asks a question; it appears under the disclosure, unanswered.
    question = "水电费860.30元包括哪些场所？"
    phone.locator("form.question-form textarea").fill(question)
    phone.locator("form.question-form [type=submit]").click()
    expect(phone.locator(".question-text", has_text=question)).to_be_visible()
    assert DisclosureQuestion.objects.filter(page=july, asker=wang, text=question).exists()
    phone.locator(".question-text", has_text=question).scroll_into_view_if_needed()
    screenshot(phone, "24-question-asked")

    # The notice's sheet for the bulletin board fits one A4 page and carries its QR code.
    sheet = browser.new_page(base_url=asgi_server)
    sheet.goto(f"/pages/notices/{urgent.pk}/print/")
    expect(sheet.locator("svg").first).to_be_visible()
    sheet.emulate_media(media="print")
    pdf = sheet.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
    sheet.set_viewport_size({"width": 794, "height": A4_HEIGHT_PX})
    screenshot(sheet, "25-notice-sheet")
    sheet.close()
