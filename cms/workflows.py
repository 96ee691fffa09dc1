"""What happens when a disclosure's approval workflow is complete."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def publish_approved(workflow_state, user=None) -> None:
    """Publish the approved revision. The supervisory committee's approval is what
    authorises it: its members hold no publish right of their own (so none of them can
    publish a draft that nobody submitted), so Wagtail's check of the approver's publish
    right is skipped here, and only here. Set as WAGTAIL_FINISH_WORKFLOW_ACTION.

    Four eyes, always: someone who sits on both committees does not approve what they
    asked to publish, and a reviewer who rewrote the draft does not approve their own
    words. Refusing here undoes the whole approval (it runs in one transaction)."""
    revision = workflow_state.content_object.get_latest_revision()
    if user is not None and user.pk in (workflow_state.requested_by_id, revision.user_id):
        raise PermissionDenied(
            _(
                "Approval refused: what you submitted or wrote must be approved by another "
                "member of the supervisory committee."
            )
        )
    revision.publish(user=user, skip_permission_checks=True)
