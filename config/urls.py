from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from deliberation import views as deliberation_views

urlpatterns = [
    # Everyone signs in with an SMS code (and staff with TOTP): Wagtail's password login
    # and allauth's password pages are closed.
    path("admin/login/", deliberation_views.back_office_sign_in),
    re_path(r"^accounts/password/", deliberation_views.not_found),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("deliberation.urls")),
    path("polls/", include("polls.urls")),
    path("pages/", include("cms.urls")),
]
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
urlpatterns += [path("", include(wagtail_urls))]
