"""What happens when a disclosure's approval workflow is complete."""


def publish_approved(workflow_state, user=None) -> None:
    """Publish the approved revision. The supervisory committee's approval is what
    authorises it: its members hold no publish right of their own (so none of them can
    publish a draft that nobody submitted), so Wagtail's check of the approver's publish
    right is skipped here, and only here. Set as WAGTAIL_FINISH_WORKFLOW_ACTION."""
    revision = workflow_state.content_object.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
