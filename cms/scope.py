"""Which community a page belongs to: the one whose home page is above it."""

from __future__ import annotations

from deliberation.models import Community

from .models import CommunityPage


def community_page_of(page) -> CommunityPage | None:
    if page is None or not page.pk:
        return None
    return (
        CommunityPage.objects.ancestor_of(page, inclusive=True).select_related("community").first()
    )


def community_of_page(page) -> Community | None:
    found = community_page_of(page)
    return found.community if found else None
