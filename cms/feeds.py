"""A community's notices and disclosures as one feed, newest first, in RSS and Atom: for
feed readers, and for neighbourhood accounts that repost what the committee publishes."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from . import queries
from .models import CommunityPage, DisclosurePage
from .texts import field_text

FEED_ITEMS = 30
EXCERPT_CHARS = 200


def _withdrawn(item) -> bool:
    return isinstance(item, DisclosurePage) and getattr(item, "withdrawal", None) is not None


class CommunityRssFeed(Feed):
    feed_type = Rss201rev2Feed
    url_name = "cms:community_feed_rss"

    def get_object(self, request, page_id: int) -> CommunityPage:
        return get_object_or_404(CommunityPage.objects.live(), pk=page_id)

    def title(self, page: CommunityPage) -> str:
        return _("%(community)s: notices and disclosures") % {"community": page.title}

    def description(self, page: CommunityPage) -> str:
        return _("What the committees of %(community)s publish, newest first.") % {
            "community": page.title
        }

    def link(self, page: CommunityPage) -> str:
        return page.get_url()

    def feed_url(self, page: CommunityPage) -> str:
        return reverse(self.url_name, args=[page.pk])

    def author_name(self, page: CommunityPage) -> str:
        return page.title

    def items(self, page: CommunityPage) -> list:
        return queries.published_under(page, limit=FEED_ITEMS)

    def item_title(self, item) -> str:
        if _withdrawn(item):
            return _("[withdrawn] %(title)s") % {"title": item.title}
        return item.title

    def item_description(self, item) -> str:
        if isinstance(item, DisclosurePage):
            return " · ".join(
                part
                for part in (item.get_category_display(), item.period_label(), item.summary)
                if part
            )
        excerpt = Truncator(" ".join(field_text(item, "body").split())).chars(EXCERPT_CHARS)
        return f"{item.scope_label()} · {excerpt}"

    def item_link(self, item) -> str:
        return item.get_url()

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item) -> list[str]:
        if isinstance(item, DisclosurePage):
            return [_("Disclosure"), item.get_category_display()]
        return [_("Notice"), _("Urgent")] if item.is_urgent else [_("Notice")]


class CommunityAtomFeed(CommunityRssFeed):
    feed_type = Atom1Feed
    url_name = "cms:community_feed_atom"

    def subtitle(self, page: CommunityPage) -> str:
        return self.description(page)
