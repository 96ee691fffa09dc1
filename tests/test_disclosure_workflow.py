"""No one publishes a disclosure alone; nothing published is silently removed; every page
event leaves its trace. Wagtail's admin is driven as the signed-in person would drive it."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, TaskState
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms import services
from cms.models import (
    CommunityPage,
    DisclosureIndexPage,
    DisclosurePage,
    NoticeIndexPage,
    NoticePage,
)
from deliberation import trace
from deliberation.models import TraceEntry
from deliberation.services import people

from .factories import UserFactory, sign_in_staff, staff_of, with_totp

pytestmark = pytest.mark.django_db

WITHDRAW_INSTEAD = "Withdraw"


@pytest.fixture(autouse=True)
def _english_back_office(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def home(community) -> CommunityPage:
    return services.provision_community(community)


@pytest.fixture
def index(home) -> DisclosureIndexPage:
    return DisclosureIndexPage.objects.child_of(home).get()


@pytest.fixture
def board(home) -> NoticeIndexPage:
    return NoticeIndexPage.objects.child_of(home).get()


@pytest.fixture
def editor(committee):
    """A residents' committee member: writes the community's pages."""
    return committee


@pytest.fixture
def supervisor(community):
    return staff_of(community, "supervisory_committee")


@pytest.fixture
def superuser(db):
    return with_totp(UserFactory(is_superuser=True, is_staff=True))


def client_of(user) -> Client:
    client = Client()
    sign_in_staff(client, user)
    return client


def draft(index, author, title="2026年7月财务收支公开") -> DisclosurePage:
    page = DisclosurePage(
        title=title,
        live=False,
        category=DisclosurePage.Category.FINANCE,
        period_kind=DisclosurePage.PeriodKind.MONTH,
        year=2026,
        period_number=7,
        body=[("paragraph", RichText("<p>本月收入三万元。</p>"))],
        owner=author,
    )
    index.add_child(instance=page)
    page.save_revision(user=author)
    return page


def submit(page, author) -> None:
    page.get_workflow().start(page, author)


def approve(page, approver) -> None:
    task_state = page.current_workflow_task_state
    task_state.task.specific.on_action(task_state, approver, "approve")


def approved(index, author, approver, title="2026年7月财务收支公开") -> DisclosurePage:
    page = draft(index, author, title)
    submit(page, author)
    approve(page, approver)
    page.refresh_from_db()
    assert page.live
    return page


def reloaded(page) -> DisclosurePage:
    return DisclosurePage.objects.get(pk=page.pk)


def form(page, action: str | None = None, **changes) -> dict:
    """What the edit form posts for a disclosure, with `changes`; `action` is the
    button pressed ("publish", "submit"; none to save a draft)."""
    fields = {
        "title": page.title,
        "slug": page.slug,
        "category": page.category,
        "period_kind": page.period_kind,
        "year": str(page.year),
        "period_number": str(page.period_number or ""),
        "summary": page.summary,
        "body": streamfield([("paragraph", rich_text("<p>本月收入三万元。</p>"))]),
        "comments": inline_formset([]),
        "go_live_at": "",
        "expire_at": "",
        **changes,
    }
    data = nested_form_data(fields)
    if action:
        data[f"action-{action}"] = "1"
    return data


def notice_form(notice, action: str | None = None) -> dict:
    data = nested_form_data(
        {
            "title": notice.title,
            "slug": notice.slug,
            "compound": "",
            "building": "",
            "urgency": notice.urgency,
            "valid_from": timezone.localtime(notice.valid_from).strftime("%Y-%m-%d %H:%M"),
            "valid_until": "",
            "body": rich_text("<p>周三停水。</p>"),
            "comments": inline_formset([]),
            "go_live_at": "",
            "expire_at": "",
        }
    )
    if action:
        data[f"action-{action}"] = "1"
    return data


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def bulk_url(action: str, *pages, next_url="/admin/") -> str:
    ids = "&".join(f"id={page.pk}" for page in pages)
    return f"/admin/bulk/wagtailcore/page/{action}/?{ids}&next={next_url}"


# ---------------------------------------------------------------- editors cannot publish alone


def test_editor_pressing_publish_on_a_draft_only_saves_it(editor, index):
    page = draft(index, editor)

    response = client_of(editor).post(
        f"/admin/pages/{page.pk}/edit/", form(page, "publish", title="改过的标题")
    )

    assert response.status_code == 302
    page = reloaded(page)
    assert not page.live and page.live_revision is None and page.first_published_at is None
    assert page.get_latest_revision().as_object().title == "改过的标题"


def test_editor_publishing_from_the_create_view_only_saves_a_draft(editor, index):
    page = DisclosurePage(title="新的公开", slug="new-disclosure", category="party")
    page.period_kind, page.year, page.period_number = "year", 2026, None

    response = client_of(editor).post(
        f"/admin/pages/add/cms/disclosurepage/{index.pk}/", form(page, "publish")
    )

    assert response.status_code == 302
    created = DisclosurePage.objects.get(slug="new-disclosure")
    assert not created.live and created.live_revision is None


def test_editor_pressing_publish_on_a_live_disclosure_leaves_the_approved_version_live(
    editor, supervisor, index
):
    page = approved(index, editor, supervisor)
    approved_revision = page.live_revision

    client_of(editor).post(f"/admin/pages/{page.pk}/edit/", form(page, "publish", title="改过"))

    page = reloaded(page)
    assert page.live_revision == approved_revision
    assert page.title == "2026年7月财务收支公开" and page.has_unpublished_changes


def test_editor_bulk_publishing_a_draft_publishes_nothing(editor, index):
    page = draft(index, editor)
    client = client_of(editor)
    url = bulk_url("publish", page)

    confirm = client.get(url)
    client.post(url, {"include_descendants": "on"})

    assert [item["item"] for item in confirm.context["items_with_no_access"]] == [page.page_ptr]
    assert confirm.context["items"] == []
    assert not reloaded(page).live


def test_editor_bulk_publishing_the_index_with_its_drafts_publishes_nothing(editor, index, board):
    page = draft(index, editor)

    client_of(editor).post(bulk_url("publish", index, board), {"include_descendants": "on"})

    assert not reloaded(page).live


def test_draft_saved_with_a_past_go_live_date_stays_a_draft_after_publish_scheduled(editor, index):
    page = draft(index, editor)
    past = when(timezone.now() - dt.timedelta(days=1))

    client_of(editor).post(f"/admin/pages/{page.pk}/edit/", form(page, "publish", go_live_at=past))
    call_command("publish_scheduled")

    assert not reloaded(page).live


def test_draft_submitted_with_a_past_go_live_date_waits_for_approval(editor, index):
    page = draft(index, editor)
    past = when(timezone.now() - dt.timedelta(days=1))

    client_of(editor).post(f"/admin/pages/{page.pk}/edit/", form(page, "submit", go_live_at=past))
    call_command("publish_scheduled")

    page = reloaded(page)
    assert page.workflow_in_progress
    assert not page.live


def test_scheduled_publication_publishes_the_approved_version_not_later_edits(
    editor, supervisor, index, monkeypatch
):
    page = draft(index, editor)
    client = client_of(editor)
    future = when(timezone.now() + dt.timedelta(days=1))
    client.post(f"/admin/pages/{page.pk}/edit/", form(page, "submit", go_live_at=future))
    page = reloaded(page)
    approve(page, supervisor)
    approved_revision = reloaded(page).get_latest_revision()
    client.post(f"/admin/pages/{page.pk}/edit/", form(page, title="未经审核的改动"))
    assert not reloaded(page).live

    the_day_after = timezone.now() + dt.timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: the_day_after)
    call_command("publish_scheduled")

    page = reloaded(page)
    assert page.live and page.live_revision == approved_revision
    assert page.title == "2026年7月财务收支公开"


def test_editor_cannot_move_a_draft_disclosure_under_the_notices(editor, index, board):
    page = draft(index, editor)

    response = client_of(editor).post(f"/admin/pages/{page.pk}/move/{board.pk}/confirm/")

    assert response.status_code == 302
    assert reloaded(page).get_parent().pk == index.pk


def test_editor_cannot_move_a_live_disclosure_to_another_community_they_write_for(
    editor, supervisor, index, other_community
):
    people.grant_role(None, editor, "residents_committee", other_community)
    elsewhere = DisclosureIndexPage.objects.child_of(
        services.provision_community(other_community)
    ).get()
    page = approved(index, editor, supervisor)

    response = client_of(editor).post(f"/admin/pages/{page.pk}/move/{elsewhere.pk}/confirm/")

    assert response.status_code == 302
    assert reloaded(page).get_parent().pk == index.pk


def test_editor_copying_a_published_disclosure_with_publish_copies_gets_no_live_copy(
    editor, supervisor, index
):
    page = approved(index, editor, supervisor)
    copy = {"new_title": "副本", "new_slug": "copy", "new_parent_page": str(index.pk)}
    client = client_of(editor)

    client.post(f"/admin/pages/{page.pk}/copy/", {**copy, "publish_copies": "on"})
    client.post(f"/admin/pages/{page.pk}/copy/", {**copy, "new_slug": "alias", "alias": "on"})
    client.post(f"/admin/pages/{page.pk}/copy/", {**copy, "new_slug": "plain"})

    copies = DisclosurePage.objects.exclude(pk=page.pk)
    assert [c.slug for c in copies] == ["plain"]
    assert not copies[0].live and copies[0].first_published_at is None


def test_editor_reverting_to_an_earlier_version_and_publishing_changes_nothing_live(
    editor, supervisor, index
):
    page = draft(index, editor, title="第一版")
    first = page.get_latest_revision()
    client = client_of(editor)
    client.post(f"/admin/pages/{page.pk}/edit/", form(page, title="第二版"))
    submit(reloaded(page), editor)
    approve(reloaded(page), supervisor)
    live = reloaded(page).live_revision

    client.post(f"/admin/pages/{page.pk}/revisions/{first.pk}/revert/", form(page, "publish"))

    page = reloaded(page)
    assert page.live_revision == live and page.title == "第二版"


def test_editor_cannot_unpublish_a_disclosure(editor, supervisor, index):
    page = approved(index, editor, supervisor)

    client_of(editor).post(f"/admin/pages/{page.pk}/unpublish/")

    assert reloaded(page).live


def test_submitted_disclosure_goes_live_when_the_supervisory_committee_approves(
    editor, supervisor, index
):
    page = draft(index, editor)
    client_of(editor).post(f"/admin/pages/{page.pk}/edit/", form(page, "submit"))
    page = reloaded(page)
    submitted_revision = page.get_latest_revision()
    assert page.workflow_in_progress and not page.live
    task_state = page.current_workflow_task_state

    response = client_of(supervisor).post(
        f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/"
    )

    assert response.status_code == 302
    page = reloaded(page)
    assert page.live and page.live_revision == submitted_revision
    assert not page.workflow_in_progress


def test_editor_cannot_approve_their_own_submission(editor, index):
    page = draft(index, editor)
    submit(page, editor)
    task_state = reloaded(page).current_workflow_task_state

    client_of(editor).post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/")

    assert not reloaded(page).live


def test_member_of_both_committees_cannot_approve_what_they_submitted(
    editor, supervisor, index, community
):
    people.grant_role(None, editor, "supervisory_committee", community)
    page = draft(index, editor)
    client = client_of(editor)
    client.post(f"/admin/pages/{page.pk}/edit/", form(page, "submit"))
    task_state = reloaded(page).current_workflow_task_state
    url = f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/"

    refused = client.post(url)

    assert "permission" in shown_messages(refused)[-1]
    page = reloaded(page)
    assert not page.live and page.workflow_in_progress
    client_of(supervisor).post(url)
    assert reloaded(page).live


def test_supervisor_cannot_approve_a_version_they_wrote_themselves(editor, supervisor, index):
    page = draft(index, editor)
    submit(page, editor)
    task_state = reloaded(page).current_workflow_task_state
    client = client_of(supervisor)
    rewritten = form(page, title="监委会改写的版本")
    rewritten.update({"action-workflow-action": "1", "workflow-action-name": "approve"})

    client.post(f"/admin/pages/{page.pk}/edit/", rewritten)

    page = reloaded(page)
    assert not page.live and page.workflow_in_progress
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_supervisory_committee_of_another_community_cannot_approve(editor, index, other_community):
    page = draft(index, editor)
    submit(page, editor)
    task_state = reloaded(page).current_workflow_task_state
    stranger = staff_of(other_community, "supervisory_committee")

    response = client_of(stranger).post(
        f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/"
    )

    assert response.status_code == 302
    assert "permission" in shown_messages(response)[0]
    page = reloaded(page)
    assert not page.live and page.workflow_in_progress


def test_editor_of_another_community_cannot_open_or_save_the_disclosure(
    editor, index, other_community
):
    page = draft(index, editor)
    stranger = client_of(staff_of(other_community, "residents_committee"))
    revisions = page.revisions.count()

    opened = stranger.get(f"/admin/pages/{page.pk}/edit/")
    saved = stranger.post(f"/admin/pages/{page.pk}/edit/", form(page, "submit", title="别人改的"))

    assert opened.status_code == saved.status_code == 302
    assert "permission" in shown_messages(saved)[0]
    page = reloaded(page)
    assert page.revisions.count() == revisions and not page.workflow_in_progress


# ---------------------------------------------------------------- nothing published is removed


def test_nobody_deletes_a_published_disclosure_not_even_a_superuser(
    editor, supervisor, superuser, index
):
    page = approved(index, editor, supervisor)
    client = client_of(superuser)

    opened = client.get(f"/admin/pages/{page.pk}/delete/")
    posted = client.post(f"/admin/pages/{page.pk}/delete/")

    assert opened.status_code == posted.status_code == 302
    assert posted["Location"] == f"/admin/pages/{page.pk}/edit/"
    assert WITHDRAW_INSTEAD in shown_messages(posted)[0]
    assert reloaded(page).live


def test_editor_cannot_delete_a_published_disclosure(editor, supervisor, index):
    page = approved(index, editor, supervisor)

    client_of(editor).post(f"/admin/pages/{page.pk}/delete/")

    assert DisclosurePage.objects.filter(pk=page.pk).exists()


@pytest.mark.parametrize("ancestor", ["index", "home"])
def test_nobody_deletes_a_page_holding_published_disclosures(
    editor, supervisor, superuser, index, home, ancestor
):
    page = approved(index, editor, supervisor)
    above = {"index": index, "home": home}[ancestor]

    response = client_of(superuser).post(f"/admin/pages/{above.pk}/delete/")

    assert f"“{above.title}” is part of the community" in shown_messages(response)[0]
    assert Page.objects.filter(pk=above.pk).exists() and reloaded(page).live


def test_bulk_delete_of_a_published_disclosure_is_refused_and_deletes_nothing(
    editor, supervisor, superuser, index
):
    page = approved(index, editor, supervisor)
    other_draft = draft(index, editor, title="草稿")

    response = client_of(superuser).post(bulk_url("delete", other_draft, page))

    assert response.status_code == 302
    assert WITHDRAW_INSTEAD in shown_messages(response)[0]
    assert DisclosurePage.objects.filter(pk__in=[page.pk, other_draft.pk]).count() == 2


def test_a_draft_that_was_never_published_can_be_deleted(editor, index):
    page = draft(index, editor)

    response = client_of(editor).post(f"/admin/pages/{page.pk}/delete/")

    assert response.status_code == 302
    assert not DisclosurePage.objects.filter(pk=page.pk).exists()


def test_deleting_a_published_disclosure_in_code_is_refused(editor, supervisor, index):
    page = approved(index, editor, supervisor)

    with pytest.raises(PermissionDenied, match="never deleted"), transaction.atomic():
        Page.objects.get(pk=page.pk).delete()
    with pytest.raises(PermissionDenied, match="never deleted"), transaction.atomic():
        Page.objects.get(pk=index.pk).delete()

    assert reloaded(page).live


def test_nobody_unpublishes_a_published_disclosure_not_even_a_superuser(
    editor, supervisor, superuser, index
):
    page = approved(index, editor, supervisor)

    response = client_of(superuser).post(f"/admin/pages/{page.pk}/unpublish/")

    assert response.status_code == 302
    assert WITHDRAW_INSTEAD in shown_messages(response)[0]
    assert reloaded(page).live


@pytest.mark.parametrize("ancestor", ["index", "home"])
def test_nobody_unpublishes_a_page_holding_published_disclosures(
    editor, supervisor, superuser, index, home, ancestor
):
    page = approved(index, editor, supervisor)
    above = {"index": index, "home": home}[ancestor]

    response = client_of(superuser).post(
        f"/admin/pages/{above.pk}/unpublish/", {"include_descendants": "on"}
    )

    assert f"“{above.title}” is part of the community" in shown_messages(response)[0]
    assert Page.objects.get(pk=above.pk).live and reloaded(page).live


def test_bulk_unpublish_of_a_published_disclosure_is_refused(editor, supervisor, superuser, index):
    page = approved(index, editor, supervisor)

    response = client_of(superuser).post(bulk_url("unpublish", page), {"include_descendants": ""})

    assert WITHDRAW_INSTEAD in shown_messages(response)[0]
    assert reloaded(page).live


def test_unpublishing_a_published_disclosure_in_code_is_refused(editor, supervisor, index):
    page = approved(index, editor, supervisor)

    for unpublishing in (reloaded(page), Page.objects.get(pk=page.pk)):
        with pytest.raises(PermissionDenied, match="never unpublished"), transaction.atomic():
            unpublishing.unpublish()

    assert reloaded(page).live


def test_a_disclosure_cannot_be_given_an_expiry_date(editor, supervisor, index):
    page = approved(index, editor, supervisor)
    revisions = page.revisions.count()
    tomorrow = when(timezone.now() + dt.timedelta(days=1))

    response = client_of(editor).post(
        f"/admin/pages/{page.pk}/edit/", form(page, "submit", expire_at=tomorrow)
    )

    assert response.status_code == 200
    assert "does not expire" in str(response.context["form"].errors["expire_at"])
    assert reloaded(page).revisions.count() == revisions


def test_publish_scheduled_does_not_take_an_expired_disclosure_offline(editor, supervisor, index):
    page = approved(index, editor, supervisor)
    Page.objects.filter(pk=page.pk).update(expire_at=timezone.now() - dt.timedelta(days=1))

    with pytest.raises(PermissionDenied, match="never unpublished"):
        call_command("publish_scheduled")

    assert reloaded(page).live


def test_notices_can_still_be_unpublished_and_deleted(editor, board):
    notice = NoticePage(title="关于停水的通知", body="<p>周三停水。</p>")
    board.add_child(instance=notice)
    notice.save_revision(user=editor).publish()
    client = client_of(editor)

    client.post(f"/admin/pages/{notice.pk}/unpublish/")
    assert not NoticePage.objects.get(pk=notice.pk).live
    client.post(f"/admin/pages/{notice.pk}/delete/")
    assert not NoticePage.objects.filter(pk=notice.pk).exists()


# ---------------------------------------------------------------- the trace of page events


def test_a_new_communitys_own_pages_are_not_traced_one_by_one(community):
    services.provision_community(community)

    assert not TraceEntry.objects.filter(action__startswith="page.").exists()


def test_publishing_a_notice_leaves_a_public_entry_by_the_editor(editor, board, community):
    notice = NoticePage(title="关于停水的通知", body="<p>周三停水。</p>", live=False)
    board.add_child(instance=notice)
    notice.save_revision(user=editor)

    client_of(editor).post(f"/admin/pages/{notice.pk}/edit/", notice_form(notice, "publish"))

    notice = NoticePage.objects.get(pk=notice.pk)
    entry = TraceEntry.objects.get(action="page.published", object_id=str(notice.pk))
    assert entry.actor == editor and entry.community == community and entry.is_public
    assert entry.after == {"revision": notice.live_revision_id, "title": "关于停水的通知"}


def test_unpublishing_a_notice_leaves_a_public_entry(editor, board, community):
    notice = NoticePage(title="关于停水的通知", body="<p>周三停水。</p>")
    board.add_child(instance=notice)
    notice.save_revision(user=editor).publish()

    client_of(editor).post(f"/admin/pages/{notice.pk}/unpublish/")

    entry = TraceEntry.objects.get(action="page.unpublished", object_id=str(notice.pk))
    assert entry.actor == editor and entry.community == community and entry.is_public


def test_approval_leaves_who_asked_who_approved_and_who_published(
    editor, supervisor, index, community
):
    page = draft(index, editor)
    client_of(editor).post(f"/admin/pages/{page.pk}/edit/", form(page, "submit"))
    task_state = reloaded(page).current_workflow_task_state

    client_of(supervisor).post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/")

    entries = TraceEntry.objects.filter(object_id=str(page.pk), object_type="cms.disclosurepage")
    by_action = {entry.action: entry for entry in entries}
    assert set(by_action) == {"page.approval_requested", "page.approved", "page.published"}
    assert by_action["page.approval_requested"].actor == editor
    assert not by_action["page.approval_requested"].is_public
    assert by_action["page.approved"].actor == supervisor and by_action["page.approved"].is_public
    assert by_action["page.published"].actor == supervisor
    assert by_action["page.published"].after["revision"] == reloaded(page).live_revision_id
    assert {entry.community for entry in entries} == {community}


def test_changes_asked_for_leave_a_private_entry_with_the_comment(editor, supervisor, index):
    page = draft(index, editor)
    submit(page, editor)
    task_state = reloaded(page).current_workflow_task_state

    client_of(supervisor).post(
        f"/admin/pages/workflow/action/{page.pk}/reject/{task_state.pk}/",
        {"comment": "请附上凭证扫描件"},
    )

    entry = TraceEntry.objects.get(action="page.rejected", object_id=str(page.pk))
    assert entry.actor == supervisor and not entry.is_public
    assert entry.after["comment"] == "请附上凭证扫描件"
    assert not reloaded(page).live


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_a_transaction_is_still_traced(settings):
    """The edit view and publish_scheduled publish outside any transaction, while the
    tests above run inside one: this one makes sure the receiver opens its own. (A
    transactional test may find the page tree emptied by the one before it.)"""
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root"))
    notice = root.add_child(instance=NoticePage(title="关于停水的通知", body="<p>周三停水。</p>"))

    notice.save_revision().publish()

    entry = TraceEntry.objects.get(action="page.published", object_id=str(notice.pk))
    assert entry.actor is None and entry.is_public
    assert trace.verify()[1] is None


def test_nobody_unpublishes_or_deletes_a_community_section_page(community):
    from cms.policies import delete_refusal, unpublish_refusal

    home = services.provision_community(community)
    for page in [home, *home.get_children()]:
        assert unpublish_refusal(page), page
        assert delete_refusal(page), page


def test_community_sections_are_never_added_by_hand():
    from cms.models import (
        CommunityPage,
        DisclosureIndexPage,
        MinutesIndexPage,
        NoticeIndexPage,
        PactIndexPage,
    )

    for model in (
        CommunityPage,
        NoticeIndexPage,
        DisclosureIndexPage,
        PactIndexPage,
        MinutesIndexPage,
    ):
        assert not model.is_creatable, model


def test_nobody_deletes_the_site_home_page_above_published_disclosures(
    editor, supervisor, superuser, index, home
):
    page = approved(index, editor, supervisor)
    site_home = home.get_parent()

    response = client_of(superuser).post(f"/admin/pages/{site_home.pk}/delete/")

    assert f"“{site_home.title}” holds published disclosures" in shown_messages(response)[0]
    assert Page.objects.filter(pk=site_home.pk).exists() and reloaded(page).live
