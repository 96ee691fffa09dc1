from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Paths a staff member without two-factor authentication may still open: setting it
# up, signing out, and static files.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/media/", "/i18n/")


class StaffMfaRequiredMiddleware:
    """Anyone holding a staff role must have TOTP set up before doing anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and (user.is_staff or user.is_superuser)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                _("You hold a committee role: set up two-factor authentication before you go on."),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
