from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import policies

# Paths a staff member may open before their session has passed two-factor: setting it
# up, confirming it, signing out, and static files.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/media/", "/i18n/")


def session_passed_mfa(request) -> bool:
    """Whether this session was confirmed with an authenticator code, not only that the
    person owns an authenticator."""
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


class StaffMfaRequiredMiddleware:
    """Anyone holding a staff role must have TOTP set up, and must have entered a code
    in this session, before doing anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or request.path.startswith(EXEMPT_PREFIXES)
            or not policies.holds_staff_role(user)
            or session_passed_mfa(request)
        ):
            return self.get_response(request)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            messages.warning(
                request,
                _("You hold a committee role: set up two-factor authentication before you go on."),
            )
            return redirect(reverse("mfa_activate_totp"))
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
