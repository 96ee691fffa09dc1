from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import home_panels, queries
from ..forms import ClaimDwellingForm
from ..services import people


@login_required
def my_home(request):
    return render(
        request,
        "deliberation/my_home.html",
        {
            "memberships": queries.memberships_of(request.user),
            "roles": queries.roles_of(request.user),
            "panels": home_panels.render_panels(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim_dwelling(request):
    form = ClaimDwellingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people.claim_dwelling(
                request.user, form.cleaned_data["dwelling"], form.cleaned_data["kind"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Your claim was sent. The residents' committee will verify it.")
            )
            return redirect("deliberation:my_home")
    return render(request, "deliberation/claim_dwelling.html", {"form": form})


def back_office_sign_in(request):
    """Where Wagtail sends people it refuses: strangers sign in; residents learn why."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.GET.get("next", "/admin/"))
    return render(request, "deliberation/back_office_refused.html", status=403)


def not_found(request):
    raise Http404


def trace_list(request):
    page = Paginator(queries.public_trace(), 50).get_page(request.GET.get("page"))
    return render(request, "deliberation/trace_list.html", {"page": page})
