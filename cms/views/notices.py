"""Notices for residents beyond the page Wagtail serves: the inbox and the panel on their
home, confirming they have read an urgent notice, and the A4 sheet for the building's
bulletin board."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.encoding import uri_to_iri
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from deliberation.policies import is_signed_in

from .. import policies, queries, services
from ..models import NoticePage
from ..scope import community_of_page

INBOX_PAGE_SIZE = 20
HOME_PANEL_SIZE = 5

QR_SCALE = 4
QR_ERROR_CORRECTION = "m"


def qr_svg(url: str) -> str:
    """An inline SVG QR code that opens `url` (the template gives it its text label)."""
    return segno.make(url, error=QR_ERROR_CORRECTION).svg_inline(scale=QR_SCALE, svgclass="qr-code")


def home_panel(request) -> str | None:
    """The current notices for this resident, on their home page."""
    if not is_signed_in(request.user):
        return None
    reach = policies.reach_of(request.user)
    if not reach.communities:
        return None
    notices = list(queries.notices_for(request.user, reach)[: HOME_PANEL_SIZE + 1])
    return render_to_string(
        "cms/notices_panel.html",
        {"notices": notices[:HOME_PANEL_SIZE], "more": len(notices) > HOME_PANEL_SIZE},
        request=request,
    )


@login_required
@require_GET
def inbox(request):
    notices = queries.notices_for(request.user, policies.reach_of(request.user))
    page = Paginator(notices, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cms/inbox.html", {"page": page})


@require_POST
@login_required
def confirm_read(request, pk: int):
    notice = get_object_or_404(NoticePage.objects.live(), pk=pk)
    try:
        services.confirm_read(request.user, notice)
    except PermissionDenied as refusal:
        return render(
            request,
            "cms/notice_refused.html",
            {"notice": notice, "message": str(refusal)},
            status=403,
        )
    messages.success(request, _("Thank you: the committee knows you have read this notice."))
    return redirect(notice.get_url(request))


@require_GET
def print_sheet(request, pk: int):
    notice = get_object_or_404(
        NoticePage.objects.live().select_related("compound", "building__compound"), pk=pk
    )
    if not all(r.accept_request(request) for r in notice.get_view_restrictions()):
        raise Http404
    url = request.build_absolute_uri(notice.get_url(request))
    return render(
        request,
        "cms/notice_print.html",
        {
            "notice": notice,
            "community": community_of_page(notice),
            "url": url,
            "readable_url": uri_to_iri(url),
            "qr": qr_svg(url),
        },
    )
