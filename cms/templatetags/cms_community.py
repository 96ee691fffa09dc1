"""What the community pages show besides their own fields: Wagtail renders these pages
itself, so their lists come from these tags, each a fixed number of queries."""

from django import template

from .. import queries
from ..models import DisclosureIndexPage, NoticeIndexPage

register = template.Library()

# A community's home page shows this many current notices and latest disclosures; the
# sections list the rest.
FRONT_ITEMS = 5


@register.simple_tag
def community_front(page) -> dict:
    """A community home page's lists: current notices (pinned first), latest disclosures
    and the sections."""
    sections = list(queries.sections_of(page))
    by_kind = {section.specific_class: section for section in sections}
    return {
        "notices": list(queries.notices_under(page, current_only=True)[:FRONT_ITEMS]),
        "disclosures": list(queries.disclosures_under(page)[:FRONT_ITEMS]),
        "sections": sections,
        "notice_index": by_kind.get(NoticeIndexPage),
        "disclosure_index": by_kind.get(DisclosureIndexPage),
    }


@register.simple_tag
def community_pages(home):
    return queries.community_pages(home)


@register.simple_tag
def published_children(page):
    return queries.published_children(page)
