"""The only code in cms that changes state outside Wagtail's own editor: giving a
community its pages and approval workflow, publishing an adopted pact, residents
confirming they read a notice, questions on disclosures and their answers, and
withdrawing a disclosure."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)
from wagtail.rich_text import expand_db_html, get_text_for_indexing

from deliberation import ratelimits, trace
from deliberation.models import Article, Community, Pact, PactVersion, Role
from deliberation.pact_text import article_label
from deliberation.roles import group_for
from deliberation.sanitize import clean_plain

from . import personal_data, policies, queries
from .models import (
    CommunityPage,
    DisclosureIndexPage,
    DisclosurePage,
    DisclosureQuestion,
    HomePage,
    MinutesIndexPage,
    NoticeIndexPage,
    NoticeMailing,
    NoticePage,
    NoticeRead,
    PactIndexPage,
    PactPage,
    Withdrawal,
)
from .scope import community_of_page

# Sections every community has, in the order shown, with their Chinese titles and slugs:
# page titles are content, written once in the site's language.
SECTIONS = [
    (NoticeIndexPage, "公告", "notices"),
    (DisclosureIndexPage, "党务·居务·财务公开", "disclosures"),
    (PactIndexPage, "居民公约与小区规约", "pacts"),
    (MinutesIndexPage, "会议纪要", "minutes"),
]
# Role kinds whose members write the community's pages.
EDITOR_KINDS = (Role.Kind.RESIDENTS_COMMITTEE, Role.Kind.PARTY_ORGANISATION)
QUESTION_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 500
ANSWER_MAX_LENGTH = 2000


def _publish_new(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _unique_slug(parent: Page, wanted: str, fallback: str) -> str:
    slug = wanted or fallback
    if parent.get_children().filter(slug=slug).exists():
        slug = fallback
    return slug


def _grant(group: Group, page: Page, *permission_types: str) -> None:
    for permission_type in permission_types:
        if not GroupPagePermission.objects.filter(
            group=group, page=page, permission__codename=f"{permission_type}_page"
        ).exists():
            GroupPagePermission.objects.create(
                group=group, page=page, permission_type=permission_type
            )


def _approval_workflow(community: Community, index: DisclosureIndexPage, supervisors: Group):
    """Disclosures are published only when the supervisory committee approves them."""
    link = WorkflowPage.objects.filter(page=index).select_related("workflow").first()
    if link is not None:
        return link.workflow
    task = GroupApprovalTask.objects.create(name=f"{community.name}·居务监督委员会审核"[:255])
    task.groups.set([supervisors])
    workflow = Workflow.objects.create(name=f"{community.name}·公开审批"[:255])
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(page=index, workflow=workflow)
    return workflow


@transaction.atomic
def provision_community(community: Community) -> CommunityPage:
    """Give a community its home page, sections, page permissions and approval workflow.
    Safe to run again: what exists is kept."""
    page = CommunityPage.objects.filter(community=community).first()
    if page is None:
        home = HomePage.objects.order_by("path").first()
        if home is None:
            raise RuntimeError("The site has no home page to put community pages under.")
        page = _publish_new(
            home,
            CommunityPage(
                title=community.name,
                slug=_unique_slug(
                    home, slugify(community.name, allow_unicode=True), f"community-{community.pk}"
                ),
                community=community,
            ),
        )
    sections = {}
    for model, title, slug in SECTIONS:
        section = model.objects.child_of(page).first()
        if section is None:
            section = _publish_new(page, model(title=title, slug=_unique_slug(page, slug, slug)))
        sections[model] = section
    editors = [group_for(community, kind) for kind in EDITOR_KINDS]
    supervisors = group_for(community, Role.Kind.SUPERVISORY_COMMITTEE)
    for group in editors:
        _grant(group, page, "add", "change")
        # Notices go out at once; disclosures wait for the supervisory committee.
        _grant(group, sections[NoticeIndexPage], "publish")
    _approval_workflow(community, sections[DisclosureIndexPage], supervisors)
    return page


def official_text(pact: Pact, version: PactVersion) -> str:
    """A version's text as plain lines, as it is cited: title, preamble, each chapter's
    title where it begins, and every article with its number (第三条) and heading."""
    lines = [pact.title]
    if version.preamble:
        lines.append(version.preamble)
    chapter = ""
    for article in Article.objects.filter(version=version).order_by("position"):
        if article.chapter and article.chapter != chapter:
            lines.append(article.chapter)
        chapter = article.chapter
        heading = f"【{article.heading}】" if article.heading else ""
        lines.append(f"{article_label(article.position)}{heading} {article.text}")
    return "\n".join(lines)


def _pacts_index(community: Community) -> PactIndexPage:
    home = CommunityPage.objects.filter(community=community).first()
    index = PactIndexPage.objects.child_of(home).first() if home else None
    return index or PactIndexPage.objects.child_of(provision_community(community)).get()


@transaction.atomic
def publish_pact(pact: Pact, version: PactVersion) -> PactPage:
    """Publish the version just adopted on the community's site, in the adoption's
    transaction: the first adoption makes the pact's page under the community's pacts
    index, each later one publishes a new revision of that same page. The system
    publishes it, with no approval workflow: the residents' vote decided it."""
    text = official_text(pact, version)
    page = PactPage.objects.filter(pact=pact).first()
    if page is None:
        index = _pacts_index(pact.community)
        page = PactPage(
            title=pact.title,
            slug=_unique_slug(index, slugify(pact.title, allow_unicode=True), f"pact-{pact.pk}"),
            pact=pact,
            version=version,
            text=text,
        )
        index.add_child(instance=page)
    else:
        page.title, page.version, page.text = pact.title, version, text
    page.save_revision().publish()
    return page


def record_page_event(
    actor, action: str, page: Page, *, before=None, after=None, public: bool = True
) -> None:
    """Trace an event on a page, under the page's community."""
    community = community_of_page(page)
    trace.record(
        actor=actor,
        action=action,
        obj=page,
        before=before,
        after=after,
        public=public,
        community_id=community.pk if community else None,
    )


@transaction.atomic
def confirm_read(user, notice: NoticePage) -> NoticeRead:
    """A resident confirms reading an urgent notice; confirming again changes nothing."""
    if not policies.can_confirm_read(user, notice):
        raise PermissionDenied(
            _("Only residents this notice is addressed to may confirm reading it.")
        )
    read, _created = NoticeRead.objects.get_or_create(notice=notice, user=user)
    return read


def _written(raw: str, limit: int, *, empty: str, too_long: str) -> str:
    """What a person wrote, as sanitized plain text with ID and mobile numbers masked
    (it is shown publicly), refused when empty or too long."""
    text = personal_data.mask(clean_plain(raw))
    if not text:
        raise ValidationError(empty)
    if len(text) > limit:
        raise ValidationError(too_long % {"limit": limit})
    return text


@transaction.atomic
def ask_question(user, page: DisclosurePage, text: str) -> DisclosureQuestion:
    if not policies.can_ask_question(user, page):
        raise PermissionDenied(
            _("Only verified residents of this community may ask about its disclosures.")
        )
    text = _written(
        text,
        QUESTION_MAX_LENGTH,
        empty=_("Write your question."),
        too_long=_("A question has at most %(limit)s characters."),
    )
    ratelimits.hit(user, "disclosure.question")
    question = DisclosureQuestion.objects.create(page=page, asker=user, text=text)
    record_page_event(
        user, "disclosure.question_asked", page, after={"question": question.pk, "text": text}
    )
    return question


@transaction.atomic
def answer_question(staff, question: DisclosureQuestion, answer: str) -> DisclosureQuestion:
    question = DisclosureQuestion.objects.select_for_update().get(pk=question.pk)
    if not policies.can_answer_question(staff, question):
        raise PermissionDenied(_("You may not answer questions in this community."))
    answer = _written(
        answer,
        ANSWER_MAX_LENGTH,
        empty=_("Write the answer."),
        too_long=_("An answer has at most %(limit)s characters."),
    )
    before = {"answer": question.answer} if question.answer else {}
    question.answer = answer
    question.answered_by = staff
    question.answered_at = timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    record_page_event(
        staff,
        "disclosure.question_answered",
        question.page,
        before=before,
        after={"question": question.pk, "answer": answer},
    )
    return question


@transaction.atomic
def withdraw_disclosure(user, page: DisclosurePage, reason: str) -> Withdrawal:
    """A published disclosure is never deleted: it is withdrawn, with a reason that
    stays public beside it."""
    page = DisclosurePage.objects.select_for_update().get(pk=page.pk)
    if not policies.can_withdraw(user, page):
        raise PermissionDenied(_("You may not withdraw disclosures in this community."))
    if not page.live:
        raise ValidationError(_("Only a published disclosure can be withdrawn."))
    if Withdrawal.objects.filter(page=page).exists():
        raise ValidationError(_("This disclosure has already been withdrawn."))
    reason = _written(
        reason,
        REASON_MAX_LENGTH,
        empty=_("Give the reason for withdrawing it; it will be public."),
        too_long=_("The reason has at most %(limit)s characters."),
    )
    withdrawal = Withdrawal.objects.create(page=page, reason=reason, withdrawn_by=user)
    record_page_event(user, "disclosure.withdrawn", page, after={"reason": reason})
    return withdrawal


@transaction.atomic
def mail_notice(notice: NoticePage) -> NoticeMailing | None:
    """Mail a newly published notice, once, to the residents in its scope who gave an
    email address. The mail leaves when the publishing commits; publishing the notice
    again sends nothing."""
    community = community_of_page(notice)
    community_id = community.pk if community else None
    addresses = list(
        queries.residents_addressed(notice, community_id)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    mailing, created = NoticeMailing.objects.get_or_create(
        notice=notice, defaults={"recipients": len(addresses)}
    )
    if not created:
        return None
    # Mail is written in the site's language, whoever published the notice.
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "notice": notice,
            "text": get_text_for_indexing(expand_db_html(notice.body)),
            "url": notice.get_full_url(),
        }
        subject = " ".join(render_to_string("cms/email/notice_subject.txt", context).split())
        body = render_to_string("cms/email/notice.txt", context)
    messages = [EmailMessage(subject, body, to=[address]) for address in addresses]
    transaction.on_commit(lambda: get_connection().send_messages(messages))
    trace.record(
        actor=None,
        action="notice.mailed",
        obj=notice,
        after={"recipients": len(addresses)},
        community_id=community_id,
    )
    return mailing
