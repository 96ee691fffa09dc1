"""The verification queue: staff confirm or reject residents' claims to dwellings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import policies, queries
from .forms import RejectMembershipForm
from .services import people

QUEUE_PAGE_SIZE = 50


def _forbidden(request):
    # Wagtail turns a raised PermissionDenied into a redirect to the dashboard; say no plainly.
    return render(request, "deliberation/admin/forbidden.html", status=403)


def _error_messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def claims_to_verify(user):
    """The queue of one staff member: the pending claims they may decide. The menu item
    and the dashboard count this same queryset."""
    return queries.pending_memberships(policies.verifiable_memberships(user))


def verification_queue(request):
    user = request.user
    if not policies.can_see_verification_queue(user):
        return _forbidden(request)
    page = Paginator(claims_to_verify(user), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/admin/verification_queue.html",
        {"page": page, "page_title": _("Verification queue"), "header_icon": "tick"},
    )


@require_POST
def verify_membership(request, pk: int):
    membership = get_object_or_404(queries.membership_with_place(), pk=pk)
    if not policies.can_verify_membership(request.user, membership):
        return _forbidden(request)
    try:
        people.verify_membership(request.user, membership)
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _error_messages(error))
    else:
        messages.success(
            request,
            _("%(resident)s is verified for %(dwelling)s.")
            % {"resident": membership.user, "dwelling": membership.dwelling},
        )
    return redirect("deliberation_verification_queue")


def reject_membership(request, pk: int):
    membership = get_object_or_404(queries.membership_with_place(), pk=pk)
    if not policies.can_verify_membership(request.user, membership):
        return _forbidden(request)
    form = RejectMembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people.reject_membership(request.user, membership, form.cleaned_data["reason"])
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            messages.error(request, _error_messages(error))
            return redirect("deliberation_verification_queue")
        messages.success(
            request,
            _("The claim of %(resident)s to %(dwelling)s is rejected.")
            % {"resident": membership.user, "dwelling": membership.dwelling},
        )
        return redirect("deliberation_verification_queue")
    return render(
        request,
        "deliberation/admin/reject_membership.html",
        {
            "membership": membership,
            "form": form,
            "page_title": _("Reject a claim"),
            "header_icon": "cross",
        },
    )
