"""Back office: an adopted pact's page is published from the vote that adopted it and
changes only when the residents adopt a new version. Nobody, superusers included,
edits, moves, copies, unpublishes or deletes it by hand; the admin says why and where
the pact is changed instead."""

from django.shortcuts import redirect
from django.urls import reverse
from wagtail import hooks
from wagtail.admin import messages

from .. import policies
from ..models import PactPage


def _refuse(request, page):
    messages.error(request, policies.adopted_pact_refusal(page))
    return redirect(reverse("wagtailadmin_explore", args=(page.get_parent().pk,)))


@hooks.register("before_edit_page")
@hooks.register("before_delete_page")
@hooks.register("before_unpublish_page")
@hooks.register("before_copy_page")
def refuse_changing_an_adopted_pact(request, page):
    return _refuse(request, page) if page.specific_class is PactPage else None


@hooks.register("before_move_page")
def refuse_moving_an_adopted_pact(request, page, destination):
    return _refuse(request, page) if page.specific_class is PactPage else None
