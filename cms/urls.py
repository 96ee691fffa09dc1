from django.urls import path  # noqa: F401

from .feeds import CommunityAtomFeed, CommunityRssFeed
from .views import community, disclosures, notices  # noqa: F401

app_name = "cms"

urlpatterns = [
    # notices (cms/views/notices.py)
    path("inbox/", notices.inbox, name="inbox"),
    path("notices/<int:pk>/read/", notices.confirm_read, name="confirm_read"),
    path("notices/<int:pk>/print/", notices.print_sheet, name="notice_print"),
    # disclosures (cms/views/disclosures.py)
    path("disclosures/<int:page_id>/questions/", disclosures.ask_question, name="ask_question"),
    path(
        "disclosures/<int:page_id>/statements/<slug:block_id>.csv",
        disclosures.statement_csv,
        name="statement_csv",
    ),
    # community home, feeds, search (cms/views/community.py)
    path("search/", community.site_search, name="search"),
    path("communities/<int:page_id>/search/", community.community_search, name="community_search"),
    path("communities/<int:page_id>/feed/rss/", CommunityRssFeed(), name="community_feed_rss"),
    path("communities/<int:page_id>/feed/atom/", CommunityAtomFeed(), name="community_feed_atom"),
]
