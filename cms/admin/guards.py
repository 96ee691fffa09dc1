"""Back office: guards. Nothing published as a disclosure is silently removed: nobody,
superusers included, deletes or unpublishes a disclosure that was ever published, or a
page above one. The admin answers such a request with the reason and points to
withdrawal; the same rule holds below the admin (cms.receivers) for any other path."""

from django.shortcuts import redirect
from django.urls import reverse
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.models import Page

from .. import policies

REFUSALS = {
    "delete": policies.delete_refusal,
    "unpublish": policies.unpublish_refusal,
    "move": policies.move_refusal,
}


def _refuse(request, page, refusal: str):
    messages.error(request, refusal)
    return redirect(
        get_valid_next_url_from_request(request)
        or reverse("wagtailadmin_pages:edit", args=(page.pk,))
    )


@hooks.register("before_delete_page")
def refuse_deleting_published_disclosures(request, page):
    if refusal := policies.delete_refusal(page):
        return _refuse(request, page, refusal)
    return None


@hooks.register("before_unpublish_page")
def refuse_unpublishing_published_disclosures(request, page):
    if refusal := policies.unpublish_refusal(page):
        return _refuse(request, page, refusal)
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_removal_of_published_disclosures(request, action_type, objects, action):
    refusal_of = REFUSALS.get(action_type)
    if refusal_of is None:
        return None
    refusals = [
        refusal for page in objects if isinstance(page, Page) and (refusal := refusal_of(page))
    ]
    if not refusals:
        return None
    for refusal in dict.fromkeys(refusals):
        messages.error(request, refusal)
    return redirect(action.next_url)
