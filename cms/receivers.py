"""cms listens to deliberation: every community gets its pages as soon as it exists, and
an adopted pact is published on its community's site; and to Wagtail: a notice is
mailed to the residents in its scope when first published, a published disclosure is
never deleted or unpublished, and page events leave their trace."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from wagtail.log_actions import get_active_log_context
from wagtail.models import Page
from wagtail.signals import (
    page_published,
    page_unpublished,
    task_approved,
    task_rejected,
    workflow_submitted,
)

from deliberation.signals import community_ready, pact_adopted

from . import policies, services
from .models import FRAME_PAGES, DisclosurePage, NoticePage, PactPage


@receiver(community_ready)
def give_community_its_pages(sender, community, **kwargs):
    services.provision_community(community)


@receiver(pact_adopted)
def publish_adopted_pact(sender, pact, version, **kwargs):
    """In the adoption's transaction: no pact is adopted without its page, nor the page
    published without the adoption."""
    services.publish_pact(pact, version)


def provision_existing_communities(sender, **kwargs):
    """After migrating, communities made before cms had pages get theirs."""
    from deliberation.models import Community

    for community in Community.objects.all():
        services.provision_community(community)


@receiver(page_published, sender=NoticePage)
def mail_new_notice(sender, instance, **kwargs):
    services.mail_notice(instance)


# ---------------------------------------------------------------- published disclosures stay
# The back office refuses with a message (cms/admin/guards.py); these refuse whatever else
# tries: code, the shell, a cascade from a deleted ancestor, expiry in publish_scheduled.


@receiver(pre_delete, sender=DisclosurePage)
def refuse_deleting_a_published_disclosure(sender, instance, **kwargs):
    if instance.first_published_at is not None:
        raise PermissionDenied(policies.delete_refusal(instance))


@receiver(pre_delete, sender=PactPage)
def refuse_deleting_an_adopted_pact(sender, instance, **kwargs):
    raise PermissionDenied(policies.adopted_pact_refusal(instance))


@receiver(pre_save, sender=Page)
@receiver(pre_save, sender=DisclosurePage)
@receiver(pre_save, sender=PactPage)
def refuse_unpublishing_a_published_record(sender, instance, update_fields=None, **kwargs):
    """A published disclosure and an adopted pact's page stay online. Unpublishing saves
    the page with live=False, as a plain Page when it comes from publish_scheduled or a
    cascade, so the rule is checked on every save of a page row."""
    if instance.live or instance.first_published_at is None or instance.pk is None:
        return
    if update_fields is not None and "live" not in update_fields:
        return
    guarded = ContentType.objects.get_for_models(DisclosurePage, PactPage).values()
    if instance.content_type_id not in {content_type.pk for content_type in guarded}:
        return
    if Page.objects.filter(pk=instance.pk, live=True).exists():
        raise PermissionDenied(policies.unpublish_refusal(instance))


# ---------------------------------------------------------------- the trace of page events
# trace.record must run inside the transaction of its change. Wagtail sends page_published
# and page_unpublished after saving the page, and neither the admin's edit view nor
# publish_scheduled wraps that in a transaction: the page is committed by then, so the
# entry gets a transaction of its own straight after. Approving in a workflow runs in one
# transaction (TaskState.approve), which publishes; there the entry joins it.


def _acting_user():
    """Wagtail's admin views set its log context to the signed-in user; scheduled
    publishing and code run without one, and the trace records the system."""
    return get_active_log_context().user


def _trace_page(page, action: str, *, actor, public: bool, after: dict) -> None:
    with transaction.atomic():
        services.record_page_event(actor, action, page, after=after, public=public)


@receiver(page_published)
def trace_page_published(sender, instance, revision, **kwargs):
    """Every publication but the first of a community's frame: provisioning publishes
    that as part of creating the community, which is traced as such."""
    if (
        isinstance(instance, FRAME_PAGES)
        and instance.first_published_at == instance.last_published_at
    ):
        return
    after = {"revision": revision.pk, "title": instance.title}
    _trace_page(instance, "page.published", actor=_acting_user(), public=True, after=after)


@receiver(page_unpublished)
def trace_page_unpublished(sender, instance, **kwargs):
    after = {"title": instance.title}
    _trace_page(instance, "page.unpublished", actor=_acting_user(), public=True, after=after)


@receiver(workflow_submitted)
def trace_approval_requested(sender, instance, user, **kwargs):
    page = instance.content_object
    if isinstance(page, Page):
        after = {
            "workflow": instance.workflow.name,
            "revision": instance.current_task_state.revision_id,
        }
        _trace_page(page.specific, "page.approval_requested", actor=user, public=False, after=after)


def _trace_decision(task_state, user, action: str, *, public: bool, after: dict) -> None:
    page = task_state.workflow_state.content_object
    if isinstance(page, Page):
        after = {"task": task_state.task.name, "revision": task_state.revision_id, **after}
        _trace_page(page.specific, action, actor=user, public=public, after=after)


@receiver(task_approved)
def trace_approval(sender, instance, user, **kwargs):
    """Approvals are public; the approver's comment stays in the back office's history."""
    _trace_decision(instance, user, "page.approved", public=True, after={})


@receiver(task_rejected)
def trace_rejection(sender, instance, user, **kwargs):
    """Changes asked for on a draft concern the draft, which is not public."""
    _trace_decision(
        instance, user, "page.rejected", public=False, after={"comment": instance.comment}
    )
