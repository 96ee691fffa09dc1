"""The back office for pacts: the pacts of the places a staff member's seats reach,
starting one from a pasted or uploaded text, and a pact's page with its versions, its
amendments and the step of putting it to the vote.

Starting a pact takes two steps. The first takes the pact's details and its text; the
second shows how the text splits into a preamble, chapters and numbered articles, with
what looked wrong in its numbering, for staff to confirm or go back and edit. The text
waits in the confirmation form itself, never on the server: the split is the same each
time, so it is done again when staff confirm. Every change goes through
deliberation.services.pacts, which checks the rule again and writes the trace.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.widgets import AdminDateTimeInput

from . import pact_text, policies, queries
from .meeting_admin import ENTRANCE_HELP, PlaceFormMixin
from .models import Amendment, Council, Pact, PactVersion
from .poll_admin import places_in_scope
from .services import pacts
from .services.meetings import covers, scope_fields
from .services.pacts import ArticleInput

PAGE_SIZE = 50
# A pact's text is a few pages: a file much larger is not the one meant.
UPLOAD_MAX_BYTES = 200 * 1024
# Pasted text may be as long as the largest upload (one character per byte at most).
TEXT_MAX = UPLOAD_MAX_BYTES
# Tried in this order: UTF-8 (with or without the BOM Notepad writes), then GB18030,
# which Chinese Windows writes as "ANSI" and which reads GBK and GB2312 too.
ENCODINGS = ("utf-8-sig", "gb18030")

STEP_PREVIEW, STEP_CONFIRM, STEP_EDIT = "preview", "confirm", "edit"

# ---------------------------------------------------------------------------- forms


def _decoded(raw: bytes) -> str | None:
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # UTF-16 and binary files decode with NULs, as both UTF-8 and GB18030.
        return None if "\x00" in text else text
    return None


def decode_upload(upload) -> str:
    """The text of an uploaded .txt file, or a ValidationError saying why it is not one."""
    if not upload.name.lower().endswith(".txt"):
        raise ValidationError(
            _(
                "Upload the text as a plain text file (.txt). In Word or WPS, save the "
                "document as “Plain text” first."
            )
        )
    if upload.size > UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)d KB: a pact's text is much shorter.")
            % {"limit": UPLOAD_MAX_BYTES // 1024}
        )
    text = _decoded(upload.read())
    if text is None:
        raise ValidationError(
            _(
                "The file could not be read as text. Save it as UTF-8 (or, on Chinese "
                "Windows, as ANSI) and upload it again."
            )
        )
    if not text.strip():
        raise ValidationError(_("The uploaded file is empty."))
    return text


class CommitteeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, council: Council) -> str:
        return f"{council.name} · {council.scope_label}"


class PactForm(PlaceFormMixin, forms.Form):
    """A new pact's details and its text, pasted or uploaded. The drafting committee is
    a council of a place that takes in the whole scope."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", "---------"), *Pact.Kind.choices],
        error_messages={
            "required": gettext_lazy("Choose the kind of pact."),
            "invalid_choice": gettext_lazy("Choose the kind of pact."),
        },
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=pacts.TITLE_MAX,
        help_text=gettext_lazy("e.g. 幸福里小区家规, 幸福里社区居民公约"),
        error_messages={
            "required": gettext_lazy("Give the pact a title."),
            "max_length": gettext_lazy("A title has at most %(limit_value)d characters."),
        },
    )
    place = forms.ChoiceField(
        label=gettext_lazy("Where it applies"),
        help_text=gettext_lazy("The community, compound or building whose residents it binds."),
        error_messages={
            "required": gettext_lazy("Choose the place the pact is for."),
            "invalid_choice": gettext_lazy(
                "Choose one of the places listed: your seats start pacts there only."
            ),
        },
    )
    entrance = forms.CharField(
        label=gettext_lazy("Entrance"), max_length=20, required=False, help_text=ENTRANCE_HELP
    )
    committee = CommitteeChoiceField(
        label=gettext_lazy("Drafting committee"),
        queryset=Council.objects.none(),
        help_text=gettext_lazy(
            "A council of the place, or of a place that takes it in: its members edit "
            "the draft and decide the amendments."
        ),
        error_messages={
            "required": gettext_lazy("Choose the drafting committee."),
            "invalid_choice": gettext_lazy("Choose one of the councils listed."),
        },
    )
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        required=False,
        max_length=pacts.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What the pact is about, in a few sentences, for residents."),
        error_messages={
            "max_length": gettext_lazy("A summary has at most %(limit_value)d characters.")
        },
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        strip=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "Paste the whole text. Each article starts a line with 第一条, 第二条, … (a "
            "heading may follow, as 第一条【养犬】); chapters with 第一章 and their title. "
            "What comes before the first article is the preamble."
        ),
        error_messages={
            "max_length": gettext_lazy("The text has at most %(limit_value)d characters.")
        },
    )
    upload = forms.FileField(
        label=gettext_lazy("or upload it as a .txt file"),
        required=False,
        help_text=gettext_lazy(
            "UTF-8, or ANSI as Chinese Windows saves it (GB18030); at most 200 KB."
        ),
        error_messages={"empty": gettext_lazy("The uploaded file is empty.")},
    )

    def __init__(self, *args, places, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_places(places)
        self.fields["committee"].queryset = councils

    def clean_upload(self) -> str | None:
        upload = self.cleaned_data.get("upload")
        return decode_upload(upload) if upload else None

    def clean(self):
        data = super().clean()
        uploaded, pasted = data.get("upload"), data.get("text") or ""
        if "upload" in self.errors or "text" in self.errors:
            return data
        if uploaded and pasted.strip():
            self.add_error("upload", _("Paste the text or upload a file, not both."))
        elif not uploaded and not pasted.strip():
            self.add_error("text", _("Paste the pact's text, or upload it as a .txt file."))
        else:
            data["text"] = uploaded or pasted
        self._check_committee(data)
        return data

    def _check_committee(self, data: dict) -> None:
        """The scope must exist and the committee take it in whole; the service checks
        both again, but staff should learn it before confirming the text."""
        place, committee = data.get("place"), data.get("committee")
        if place is None or "entrance" in self.errors:
            return
        try:
            scoped = Pact(**scope_fields(place, data.get("entrance", "")))
        except ValidationError as error:
            self.add_error("entrance", error)
            return
        if committee is not None and not covers(committee, scoped):
            self.add_error(
                "committee",
                _(
                    "The drafting committee must be a council of a place that takes in the "
                    "whole scope."
                ),
            )

    def confirmation_data(self) -> dict[str, str]:
        """What the confirmation form posts back: the details as entered and the text as
        read (from the textarea or the file)."""
        names = ("kind", "title", "place", "entrance", "committee", "summary")
        data = {name: self.data.get(name, "") for name in names}
        data["text"] = self.cleaned_data["text"]
        return data


class VoteForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("What changed in this version"),
        required=False,
        max_length=pacts.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Needed when the working draft changed since the last published version: it is "
            "published as the version put to the vote."
        ),
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("The vote closes at"),
        required=False,
        widget=AdminDateTimeInput,
        help_text=gettext_lazy("Left empty, staff close the vote from the poll's page."),
        error_messages={"invalid": gettext_lazy("Give a date and time such as 2025-06-30 18:00.")},
    )

    def clean_closes_at(self):
        closes_at = self.cleaned_data["closes_at"]
        if closes_at is not None and closes_at <= timezone.now():
            raise ValidationError(_("The vote must close at a time still to come."))
        return closes_at


# ---------------------------------------------------------------------------- the split


def _chapter_title(index: int, chapter: pact_text.SplitChapter) -> str:
    """A chapter's title as articles store it, numbered by the platform: 第一章 总则."""
    label = pact_text.chapter_label(index + 1)
    return f"{label} {chapter.title}" if chapter.title else label


def articles_of(split: pact_text.Split) -> list[ArticleInput]:
    """The split's articles as create_pact takes them, each with its chapter's title."""
    chapters = [_chapter_title(i, chapter) for i, chapter in enumerate(split.chapters)]
    return [
        ArticleInput(
            text=article.text,
            heading=article.heading,
            chapter="" if article.chapter is None else chapters[article.chapter],
        )
        for article in split.articles
    ]


def _preview_rows(split: pact_text.Split) -> list[dict]:
    """Each article with the number it gets, the number it was written with, its
    heading, chapter and text, for the confirmation screen."""
    return [
        {
            "label": pact_text.article_label(number),
            "as_written": article.number_as_written,
            "renumbered": article.number_as_written not in (None, number),
            "heading": item.heading,
            "chapter": item.chapter,
            "text": item.text,
        }
        for number, (article, item) in enumerate(
            zip(split.articles, articles_of(split), strict=True), start=1
        )
    ]


def _empty_articles(split: pact_text.Split) -> list[str]:
    return [
        pact_text.article_label(number)
        for number, article in enumerate(split.articles, start=1)
        if not article.text.strip()
    ]


# ---------------------------------------------------------------------------- helpers


def _forbidden(request):
    # Wagtail turns a raised PermissionDenied into a redirect to the dashboard; say no plainly.
    return render(request, "deliberation/admin/pacts/forbidden.html", status=403)


def _councils(user):
    """The councils the person may name as drafting committees: those of the places
    where their seats start pacts."""
    scope = policies.back_office_scope(user, Pact, "add")
    return queries.council_listing(policies.scope_filter(Council, scope))


PUBLISHED = Q(versions__published_at__isnull=False)


def back_office_pacts(where: Q):
    """Pacts with their place, drafting committee, the version in force and the numbers
    of their latest published version and working draft, newest first."""
    return (
        Pact.objects.filter(where)
        .select_related("community", "compound", "building__compound", "committee", "in_force")
        .annotate(
            published_number=Max("versions__number", filter=PUBLISHED),
            draft_number=Max("versions__number", filter=~PUBLISHED),
        )
        .order_by("-created_at", "-pk")
    )


def _pact(pk: int) -> Pact:
    pact = back_office_pacts(Q(pk=pk)).first()
    if pact is None:
        raise Http404
    return pact


def _site_url(name: str, pact: Pact) -> str | None:
    """A page of the pact on the residents' site, once that page exists."""
    try:
        return reverse(name, args=[pact.pk])
    except NoReverseMatch:
        return None


def _may_put_to_vote(user, pact: Pact) -> bool:
    return policies.can_steer_pact(user, pact) and policies.can_handle_polls_in(
        user, pact.place, "add"
    )


# ---------------------------------------------------------------------------- views


def pact_list(request):
    user = request.user
    if not user.has_perm("deliberation.view_pact"):
        return _forbidden(request)
    listing = back_office_pacts(policies.pact_scope_filter(user, "view"))
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/admin/pacts/list.html",
        {
            "page": page,
            "can_add": user.has_perm("deliberation.add_pact"),
            "page_title": _("Pacts"),
            "header_icon": "doc-full",
        },
    )


def _render_form(request, form: PactForm):
    return render(
        request,
        "deliberation/admin/pacts/form.html",
        {"form": form, "page_title": _("Start a pact"), "header_icon": "doc-full"},
    )


def pact_create(request):
    """Step 1 takes the details and the text; step 2 shows the split to confirm; the
    pact is created from the text posted back with the confirmation."""
    user = request.user
    places = places_in_scope(user, Pact, "add")
    if not places:
        return _forbidden(request)
    councils = _councils(user)
    if request.method != "POST":
        return _render_form(request, PactForm(places=places, councils=councils))
    step = request.POST.get("step", STEP_PREVIEW)
    if step == STEP_EDIT:
        # Back from the confirmation: the details and the text as they were, to change.
        initial = {name: request.POST.get(name, "") for name in PactForm.base_fields}
        return _render_form(request, PactForm(initial=initial, places=places, councils=councils))
    form = PactForm(request.POST, request.FILES, places=places, councils=councils)
    if not form.is_valid():
        return _render_form(request, form)
    data = form.cleaned_data
    split = pact_text.split(data["text"])
    if not split.articles:
        form.add_error(
            "text" if not request.FILES else "upload",
            _(
                "No article was found: start each article on a line of its own with "
                "第一条, 第二条, …"
            ),
        )
        return _render_form(request, form)
    empty = _empty_articles(split)
    if step == STEP_CONFIRM and not empty:
        try:
            pact = pacts.create_pact(
                user,
                kind=data["kind"],
                title=data["title"],
                place=data["place"],
                entrance=data["entrance"],
                committee=data["committee"],
                summary=data["summary"],
                preamble=split.preamble,
                articles=articles_of(split),
            )
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
            return _render_form(request, form)
        messages.success(
            request,
            _("The pact “%(title)s” is started; its text is the working draft.")
            % {"title": pact.title},
        )
        return redirect("pact_admin:pact", pact.pk)
    return render(
        request,
        "deliberation/admin/pacts/confirm.html",
        {
            "form": form,
            "hidden": form.confirmation_data(),
            "kind_label": Pact.Kind(data["kind"]).label,
            "split": split,
            "rows": _preview_rows(split),
            "empty": empty,
            "page_title": _("Start a pact"),
            "page_subtitle": _("Check the split"),
            "header_icon": "doc-full",
        },
    )


def _amendment_counts(pact: Pact) -> list[tuple[str, str, int]]:
    counted = dict(
        Amendment.objects.filter(pact=pact)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [(state, label, counted.get(state, 0)) for state, label in Amendment.State.choices]


def _render_pact(request, pact: Pact, vote_form: VoteForm | None = None):
    user = request.user
    may_vote = _may_put_to_vote(user, pact)
    versions = (
        PactVersion.objects.filter(pact=pact)
        .select_related("poll", "published_by")
        .annotate(article_count=Count("articles"))
        .order_by("number")
    )
    context = {
        "pact": pact,
        "versions": versions,
        "amendment_counts": _amendment_counts(pact),
        "committee_url": _site_url("deliberation:pact_committee", pact),
        "public_url": _site_url("deliberation:pact", pact),
        "may_view_council": policies.can_run_meetings_in(user, pact.committee.place, "view"),
        "consolidating": pact.state == Pact.State.CONSOLIDATING,
        "may_vote": may_vote,
        "page_title": _("Pact"),
        "page_subtitle": pact.title,
        "header_icon": "doc-full",
    }
    if may_vote and pact.state == Pact.State.CONSOLIDATING:
        context["vote_form"] = vote_form or VoteForm()
    return render(request, "deliberation/admin/pacts/pact.html", context)


def pact_detail(request, pk: int):
    pact = _pact(pk)
    if not policies.can_start_pacts_in(request.user, pact, "view"):
        return _forbidden(request)
    return _render_pact(request, pact)


@require_POST
def pact_vote(request, pk: int):
    pact = _pact(pk)
    user = request.user
    if not policies.can_start_pacts_in(user, pact, "view") or not _may_put_to_vote(user, pact):
        return _forbidden(request)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The pact was not put to the vote: see the form below."))
        return _render_pact(request, pact, form)
    try:
        data = form.cleaned_data
        version = pacts.start_vote(user, pact, summary=data["summary"], closes_at=data["closes_at"])
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        form.add_error(None, error)
        messages.error(request, " ".join(error.messages))
        return _render_pact(request, pact, form)
    messages.success(
        request,
        _("Version %(n)d is put to the vote; its voter roll is frozen.") % {"n": version.number},
    )
    return redirect("pact_admin:pact", pact.pk)


urlpatterns = [
    path("", pact_list, name="index"),
    path("new/", pact_create, name="add"),
    path("<int:pk>/", pact_detail, name="pact"),
    path("<int:pk>/vote/", pact_vote, name="vote"),
]
