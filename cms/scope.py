"""Which community a page belongs to: the one whose home page is above it."""

from __future__ import annotations

from deliberation.models import Community

from .models import CommunityPage


def community_page_of(page) -> CommunityPage | None:
    return CommunityPage.above(page)


def community_of_page(page) -> Community | None:
    found = community_page_of(page)
    return found.community if found else None
