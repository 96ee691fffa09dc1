from django.urls import path  # noqa: F401

from .views import community, disclosures, notices  # noqa: F401

app_name = "cms"

urlpatterns = [
    # notices (cms/views/notices.py)
    # disclosures (cms/views/disclosures.py)
    path("disclosures/<int:page_id>/questions/", disclosures.ask_question, name="ask_question"),
    path(
        "disclosures/<int:page_id>/statements/<slug:block_id>.csv",
        disclosures.statement_csv,
        name="statement_csv",
    ),
    # community home, feeds, search (cms/views/community.py)
]
