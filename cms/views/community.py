"""Search across a community's live notices and disclosures (or the whole site's): any
substring, Chinese included, with the match highlighted in an excerpt."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from wagtail.models import Page, Site

from .. import queries
from ..models import CommunityPage, DisclosurePage

QUERY_MAX_LENGTH = 50
RESULTS_SHOWN = 50
# Characters of text shown on each side of the first match.
EXCERPT_CONTEXT = 40


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search for"), max_length=QUERY_MAX_LENGTH, required=False
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())


class Highlighter:
    """Marks every occurrence of the query, in any case, in text it escapes."""

    def __init__(self, query: str):
        self.pattern = re.compile(re.escape(query), re.IGNORECASE)

    def mark(self, text: str) -> SafeString:
        pieces, last = [], 0
        for match in self.pattern.finditer(text):
            pieces.append((text[last : match.start()], match.group()))
            last = match.end()
        return format_html_join("", "{}<mark>{}</mark>", pieces) + escape(text[last:])

    def excerpt(self, text: str) -> SafeString:
        """The text around the first match, or the text's beginning if only the title
        matched."""
        text = " ".join(text.split())
        match = self.pattern.search(text)
        start = max(0, match.start() - EXCERPT_CONTEXT) if match else 0
        end = (match.end() if match else 0) + EXCERPT_CONTEXT * (1 if match else 2)
        return format_html(
            "{}{}{}",
            "…" if start else "",
            self.mark(text[start:end]),
            "…" if end < len(text) else "",
        )


@dataclass(frozen=True)
class Result:
    page: Page
    kind: str
    title: SafeString
    excerpt: SafeString
    community: CommunityPage | None
    withdrawn: bool


def _result(page, highlighter: Highlighter, community: CommunityPage | None) -> Result:
    if isinstance(page, DisclosurePage):
        kind = _("Disclosure: %(category)s") % {"category": page.get_category_display()}
        withdrawn = getattr(page, "withdrawal", None) is not None
    else:
        kind, withdrawn = _("Notice"), False
    # The searchable text begins with the title (cms.texts.page_text): the excerpt is
    # taken from the rest.
    body = page.search_text.removeprefix(page.title)
    return Result(
        page, kind, highlighter.mark(page.title), highlighter.excerpt(body), community, withdrawn
    )


def _search(request, root: Page, community_page: CommunityPage | None):
    form = SearchForm(request.GET)
    query, results, more = "", [], False
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        found = queries.search(root, query, limit=RESULTS_SHOWN + 1)
        more, found = len(found) > RESULTS_SHOWN, found[:RESULTS_SHOWN]
        communities = queries.community_pages_above(found) if community_page is None else {}
        highlighter = Highlighter(query)
        results = [_result(page, highlighter, communities.get(page.pk)) for page in found]
    return render(
        request,
        "cms/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "more": more,
            "results_shown": RESULTS_SHOWN,
            "community_page": community_page,
        },
    )


@require_GET
def community_search(request, page_id: int):
    community_page = get_object_or_404(CommunityPage.objects.live(), pk=page_id)
    return _search(request, community_page, community_page)


@require_GET
def site_search(request):
    site = Site.find_for_request(request)
    if site is None:
        raise Http404
    return _search(request, site.root_page, None)
