"""Wagtail pages and the records that hang off them (reads, questions, withdrawals)."""

from .community import (
    FRAME_PAGES,
    CommunityPage,
    DisclosureIndexPage,
    MinutesIndexPage,
    NoticeIndexPage,
    PactIndexPage,
)
from .disclosures import DisclosurePage, DisclosureQuestion, Withdrawal
from .home import HomePage
from .notices import NoticeMailing, NoticePage, NoticeRead
from .pacts import PactPage

__all__ = [
    "CommunityPage",
    "DisclosureIndexPage",
    "DisclosurePage",
    "DisclosureQuestion",
    "FRAME_PAGES",
    "HomePage",
    "MinutesIndexPage",
    "NoticeIndexPage",
    "NoticeMailing",
    "NoticePage",
    "NoticeRead",
    "PactIndexPage",
    "PactPage",
    "Withdrawal",
]
