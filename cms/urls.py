from django.urls import path  # noqa: F401

from .views import community, disclosures, notices  # noqa: F401

app_name = "cms"

urlpatterns = [
    # notices (cms/views/notices.py)
    # disclosures (cms/views/disclosures.py)
    # community home, feeds, search (cms/views/community.py)
]
