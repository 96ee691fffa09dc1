"""Resident pacts, house rules and owners' management rules, from the first draft to the
text in force.

    drafting ──open_amendments──▶ amending ──consolidate──▶ consolidating
        ▲                                                  │    │
        │                              open_amendments ◀───┘    │ start_vote
        │                                                       ▼
    start_revision ◀── adopted ◀──(the vote passes)── voting ──(fails)──▶ consolidating

There is always one working draft while a pact is not adopted: the drafting committee
edits it, and an accepted amendment enters it at once. Opening for amendments and
putting to the vote publish the working draft as the next version, which never changes
again. Two accepted amendments that change the same article (replace or delete) are
not applied over each other: the committee writes the article's text that reconciles
them, and no version is published before it has. Every step writes the trace and an
event in the pact's own numbered stream (`live`), which its page shows as it happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polls.models import Poll, PollResult

from .. import broadcast, electorates, live, pact_text, policies, ratelimits, signals, trace
from ..models import (
    Amendment,
    AmendmentComment,
    AmendmentPosition,
    Article,
    Council,
    Membership,
    Pact,
    PactEvent,
    PactVersion,
    PactViewer,
    Reconciliation,
)
from ..models.trace import ACTION_LABELS
from ..sanitize import clean_optional, clean_plain, clean_required
from . import notify
from . import polls as poll_services
from .meetings import Place, covers, scope_fields

S = Pact.State
A = Amendment.State

TITLE_MAX = 100
SUMMARY_MAX = 2000
PREAMBLE_MAX = 5000
ARTICLE_MAX = 2000
HEADING_MAX = 40
CHAPTER_MAX = 60
ARTICLES_MAX = 300
RATIONALE_MAX = 2000
REASON_MAX = 500
COMMENT_MAX = 1000

# Who votes on each kind of pact, and under which rule set (domain-rules.md): a resident
# pact goes to a residents' meeting of the households, house rules and management rules
# to the owners (民法典 第278条, ordinary matters).
ADOPTION = {
    Pact.Kind.RESIDENT_PACT: ("households", "residents_assembly"),
    Pact.Kind.HOUSE_RULES: ("owners", "owners_ordinary"),
    Pact.Kind.MANAGEMENT_RULES: ("owners", "owners_ordinary"),
}
CHANGES = (Amendment.Kind.REPLACE, Amendment.Kind.DELETE)


def pact_url(pact: Pact) -> str:
    return reverse("deliberation:pact", args=[pact.pk])


# ---------------------------------------------------------------------------- helpers


def locked(pact: Pact) -> Pact:
    """The pact as stored now, its row locked until the transaction ends: every change
    goes through here, so its events are numbered one at a time."""
    return Pact.objects.select_for_update().get(pk=pact.pk)


def emit(pact: Pact, type: str, data: dict) -> PactEvent:
    return live.emit(pact, PactEvent, type, data)


def _record(actor, obj, action: str, *, before=None, after=None, public=True) -> None:
    trace.record(actor=actor, action=action, obj=obj, before=before, after=after, public=public)


def _require_steer(actor, pact: Pact) -> None:
    if not policies.can_steer_pact(actor, pact):
        raise PermissionDenied(
            _("Only the drafting committee, or a committee that runs this place, can do this.")
        )


def _require_state(pact: Pact, *states: str) -> None:
    if pact.state not in states:
        raise ValidationError(
            _("This cannot be done while the pact is at the step “%(state)s”.")
            % {"state": pact.get_state_display()}
        )


def working_draft(pact: Pact) -> PactVersion:
    """The version being edited; every pact that is not adopted has one."""
    draft = PactVersion.objects.filter(pact=pact, published_at=None).first()
    if draft is None:
        raise ValidationError(_("This pact has no working draft now."))
    return draft


def latest_published(pact: Pact) -> PactVersion | None:
    return (
        PactVersion.objects.filter(pact=pact, published_at__isnull=False)
        .order_by("-number")
        .first()
    )


def _next_key(pact: Pact) -> int:
    last = Article.objects.filter(version__pact=pact).aggregate(last=Max("key"))["last"]
    return (last or 0) + 1


def _copy(version: PactVersion, *, number: int) -> PactVersion:
    """A new working draft holding the text of `version`, article identities kept."""
    draft = PactVersion.objects.create(
        pact=version.pact, number=number, preamble=version.preamble, based_on=version
    )
    Article.objects.bulk_create(
        Article(
            version=draft,
            key=article.key,
            position=article.position,
            chapter=article.chapter,
            heading=article.heading,
            text=article.text,
        )
        for article in version.articles.order_by("position")
    )
    return draft


@dataclass(frozen=True)
class ArticleInput:
    """An article as staff or the committee enter it: its text, and optionally the
    heading and the chapter it is in."""

    text: str
    heading: str = ""
    chapter: str = ""


def _clean_article(item: ArticleInput, number: int | None = None) -> ArticleInput:
    where = _("Article %(n)d: ") % {"n": number} if number else ""
    text = clean_required(
        item.text,
        ARTICLE_MAX,
        where + _("Write the article's text."),
        where + _("An article has at most %(limit)s characters."),
    )
    heading = clean_plain(item.heading or "").strip()
    chapter = clean_plain(item.chapter or "").strip()
    if len(heading) > HEADING_MAX:
        raise ValidationError(
            where + _("A heading has at most %(limit)s characters.") % {"limit": HEADING_MAX}
        )
    if len(chapter) > CHAPTER_MAX:
        raise ValidationError(
            where
            + _("A chapter's title has at most %(limit)s characters.") % {"limit": CHAPTER_MAX}
        )
    return ArticleInput(text=text, heading=heading, chapter=chapter)


def _clean_preamble(text: str) -> str:
    return clean_optional(text, PREAMBLE_MAX, _("The preamble has at most %(limit)s characters."))


def _residents_ids(pact: Pact) -> set[int]:
    key = electorates.electorate_key("households", pact.place, pact.entrance)
    return set(
        Membership.objects.filter(
            status=Membership.Status.VERIFIED, dwelling__in=electorates.dwellings_of(key)
        ).values_list("user_id", flat=True)
    )


def _committee_ids(pact: Pact) -> set[int]:
    return set(pact.committee.members.values_list("user_id", flat=True))


def _notify(pact: Pact, action: str, actor, recipient_ids: Iterable[int], detail: str = "") -> None:
    """Tell people of a step in the app and, if they gave one, by mail; not the actor."""
    recipient_ids = set(recipient_ids) - {getattr(actor, "pk", None)}
    with translation.override(settings.LANGUAGE_CODE):
        text = f"《{pact.title}》：{ACTION_LABELS.get(action, action)}"
        if detail:
            text += f"，{detail}"

    def mail() -> tuple[str, str]:
        url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + pact_url(pact)
        return text, f"{text}\n\n{url}\n"

    notify.deliver(recipient_ids, action=action, text=text, mail=mail, pact=pact)


def _article_facts(article: Article) -> dict[str, Any]:
    return {
        "key": article.key,
        "number": article.position,
        "heading": article.heading,
        "chapter": article.chapter,
        "text": article.text,
    }


# ---------------------------------------------------------------------------- starting


def create_pact(
    actor,
    *,
    kind: str,
    title: str,
    place: Place,
    entrance: str = "",
    committee: Council,
    summary: str = "",
    preamble: str = "",
    articles: list[ArticleInput],
) -> Pact:
    """A pact in drafting, its first working draft holding `articles` (split from a
    pasted text and confirmed beforehand)."""
    if kind not in Pact.Kind.values:
        raise ValidationError(_("Choose the kind of pact."))
    if not policies.can_start_pacts_in(actor, place, "add"):
        raise PermissionDenied(_("You hold no seat that starts pacts in this place."))
    title = clean_required(
        title,
        TITLE_MAX,
        _("Give the pact a title."),
        _("A title has at most %(limit)s characters."),
    )
    summary = clean_optional(
        summary, SUMMARY_MAX, _("The summary has at most %(limit)s characters.")
    )
    cleaned = [_clean_article(item, n) for n, item in enumerate(articles, start=1)]
    if not cleaned:
        raise ValidationError(_("A pact needs at least one article."))
    if len(cleaned) > ARTICLES_MAX:
        raise ValidationError(_("A pact has at most %(limit)s articles.") % {"limit": ARTICLES_MAX})
    pact = Pact(kind=kind, title=title, summary=summary, committee=committee, created_by=actor)
    for field, value in scope_fields(place, entrance).items():
        setattr(pact, field, value)
    if not covers(committee, pact):
        raise ValidationError(
            _("The drafting committee must be a council of a place that takes in the whole scope.")
        )
    with transaction.atomic():
        pact.save()
        draft = PactVersion.objects.create(pact=pact, number=1, preamble=_clean_preamble(preamble))
        Article.objects.bulk_create(
            Article(version=draft, key=n, position=n, **item.__dict__)
            for n, item in enumerate(cleaned, start=1)
        )
        _record(
            actor,
            pact,
            "pact.created",
            after={
                "kind": kind,
                "title": title,
                "committee": str(committee),
                "articles": len(cleaned),
            },
        )
    return pact


# ---------------------------------------------------------------------------- the working draft


def _editable(actor, pact: Pact) -> tuple[Pact, PactVersion]:
    _require_steer(actor, pact)
    pact = locked(pact)
    _require_state(pact, S.DRAFTING, S.CONSOLIDATING)
    return pact, working_draft(pact)


def _draft_article(draft: PactVersion, key: int) -> Article:
    article = draft.articles.filter(key=key).first()
    if article is None:
        raise ValidationError(_("The working draft has no such article."))
    return article


def edit_article(actor, pact: Pact, key: int, item: ArticleInput) -> Article:
    """The committee rewrites an article of the working draft."""
    item = _clean_article(item)
    with transaction.atomic():
        pact, draft = _editable(actor, pact)
        article = _draft_article(draft, key)
        before = _article_facts(article)
        article.text, article.heading, article.chapter = item.text, item.heading, item.chapter
        article.save(update_fields=["text", "heading", "chapter"])
        _record(actor, pact, "pact.draft_changed", before=before, after=_article_facts(article))
        emit(pact, "draft.changed", {"change": "edited", "key": key})
    return article


def add_article(actor, pact: Pact, item: ArticleInput, *, after_key: int | None) -> Article:
    """The committee adds an article after another (at the start when `after_key` is
    None); the articles after it are renumbered."""
    item = _clean_article(item)
    with transaction.atomic():
        pact, draft = _editable(actor, pact)
        if draft.articles.count() >= ARTICLES_MAX:
            raise ValidationError(
                _("A pact has at most %(limit)s articles.") % {"limit": ARTICLES_MAX}
            )
        article = _insert(draft, item, after_key=after_key)
        _record(actor, pact, "pact.draft_changed", after=_article_facts(article))
        emit(pact, "draft.changed", {"change": "added", "key": article.key})
    return article


def _insert(draft: PactVersion, item: ArticleInput, *, after_key: int | None) -> Article:
    """An article right after another of the working draft (at the start when
    `after_key` is None), in that article's chapter unless it names its own."""
    if after_key is None:
        first = draft.articles.order_by("position").first()
        position, chapter = 0, item.chapter or (first.chapter if first else "")
    else:
        anchor = _draft_article(draft, after_key)
        position, chapter = anchor.position, item.chapter or anchor.chapter
    return _insert_at(draft, position, ArticleInput(item.text, item.heading, chapter))


def _insert_at(
    draft: PactVersion, position: int, item: ArticleInput, *, key: int | None = None
) -> Article:
    """An article after the one numbered `position` (0: at the start); those after it
    are renumbered. A new identity unless `key` gives it back its own."""
    draft.articles.filter(position__gt=position).update(position=F("position") + 1)
    return Article.objects.create(
        version=draft,
        key=key or _next_key(draft.pact),
        position=position + 1,
        chapter=item.chapter,
        heading=item.heading,
        text=item.text,
    )


def _remove(draft: PactVersion, article: Article) -> None:
    article.delete()
    draft.articles.filter(position__gt=article.position).update(position=F("position") - 1)


def delete_article(actor, pact: Pact, key: int) -> None:
    with transaction.atomic():
        pact, draft = _editable(actor, pact)
        article = _draft_article(draft, key)
        if draft.articles.count() == 1:
            raise ValidationError(_("A pact needs at least one article."))
        before = _article_facts(article)
        _remove(draft, article)
        _record(actor, pact, "pact.draft_changed", before=before)
        emit(pact, "draft.changed", {"change": "deleted", "key": key})


def set_preamble(actor, pact: Pact, preamble: str) -> None:
    preamble = _clean_preamble(preamble)
    with transaction.atomic():
        pact, draft = _editable(actor, pact)
        before = {"preamble": draft.preamble}
        draft.preamble = preamble
        draft.save(update_fields=["preamble"])
        _record(actor, pact, "pact.draft_changed", before=before, after={"preamble": preamble})
        emit(pact, "draft.changed", {"change": "preamble", "key": None})


# ---------------------------------------------------------------------------- publishing


def _check_ready(pact: Pact) -> None:
    """A version is published only once every amendment is decided and every clash
    between accepted amendments is reconciled."""
    undecided = pact.amendments.filter(state=A.PROPOSED).count()
    if undecided:
        raise ValidationError(
            ngettext(
                "%(n)d amendment is still waiting for the committee's decision.",
                "%(n)d amendments are still waiting for the committee's decision.",
                undecided,
            )
            % {"n": undecided}
        )
    clashes = clashing_keys(pact)
    if clashes:
        # The numbers the amendments name: the working draft may have lost the article.
        numbers = sorted(
            _amended_version(pact)
            .articles.filter(key__in=clashes)
            .values_list("position", flat=True)
        )
        raise ValidationError(
            _(
                "Accepted amendments change the same article and must be reconciled first: "
                "%(articles)s."
            )
            % {"articles": "、".join(pact_text.article_label(n) for n in numbers) or "—"}
        )


def _publish(actor, pact: Pact, summary: str) -> PactVersion:
    """Publish the working draft as it stands (it never changes again); the next working
    draft starts from it."""
    _check_ready(pact)
    draft = working_draft(pact)
    if not draft.articles.exists():
        raise ValidationError(_("A pact needs at least one article."))
    summary = clean_required(
        summary,
        SUMMARY_MAX,
        _("Say in a few words what changed in this version."),
        _("The summary of changes has at most %(limit)s characters."),
    )
    draft.change_summary, draft.published_at, draft.published_by = summary, timezone.now(), actor
    draft.save(update_fields=["change_summary", "published_at", "published_by"])
    pact.amendments.filter(state=A.ACCEPTED, merged_into=None).update(merged_into=draft)
    _record(
        actor,
        pact,
        "pact.version_published",
        after={"version": draft.number, "summary": summary, "articles": draft.articles.count()},
    )
    emit(pact, "version.published", {"version": draft.number})
    return draft


def _set_state(actor, pact: Pact, state: str, action: str, after: dict | None = None) -> None:
    before = {"state": pact.state}
    pact.state = state
    pact.save(update_fields=["state", "amendments_close_at"])
    _record(actor, pact, action, before=before, after={"state": state, **(after or {})})
    emit(pact, "pact.state", {"state": state})


def open_amendments(actor, pact: Pact, *, closes_at: datetime, summary: str) -> PactVersion:
    """Publish the working draft and let the residents of the scope amend it until
    `closes_at`."""
    _require_steer(actor, pact)
    if closes_at is None or closes_at <= timezone.now():
        raise ValidationError(_("Amendments must close at a time still to come."))
    with transaction.atomic():
        pact = locked(pact)
        _require_state(pact, S.DRAFTING, S.CONSOLIDATING)
        version = _publish(actor, pact, summary)
        _copy(version, number=version.number + 1)
        pact.amendments_close_at = closes_at
        _set_state(
            actor, pact, S.AMENDING, "pact.amendments_opened", {"closes_at": closes_at.isoformat()}
        )
        _notify(
            pact,
            "pact.amendments_opened",
            actor,
            _residents_ids(pact) | _committee_ids(pact),
            timezone.localtime(closes_at).strftime("%Y-%m-%d %H:%M"),
        )
    return version


def consolidate(actor, pact: Pact) -> None:
    """Close amendments (before their time if the committee decides so) and begin
    consolidating them into the working draft."""
    _require_steer(actor, pact)
    with transaction.atomic():
        pact = locked(pact)
        _require_state(pact, S.AMENDING)
        pact.amendments_close_at = min(pact.amendments_close_at or timezone.now(), timezone.now())
        _set_state(actor, pact, S.CONSOLIDATING, "pact.consolidating")


def amendments_open(pact: Pact, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return pact.state == S.AMENDING and (
        pact.amendments_close_at is None or now < pact.amendments_close_at
    )


# ---------------------------------------------------------------------------- amendments


def _amended_version(pact: Pact) -> PactVersion:
    version = latest_published(pact)
    if version is None:
        raise ValidationError(_("No version of this pact has been published yet."))
    return version


def _require_amending(pact: Pact) -> None:
    if not amendments_open(pact):
        raise ValidationError(_("This pact is not open for amendments now."))


def propose_amendment(
    user,
    pact: Pact,
    *,
    article_key: int,
    kind: str,
    text: str = "",
    heading: str = "",
    rationale: str,
) -> Amendment:
    """A resident of the scope proposes to replace an article of the published version,
    to insert a new one after it, or to delete it."""
    if not policies.can_amend_pact(user, pact):
        raise PermissionDenied(
            _("Only verified residents of this pact's scope can propose amendments.")
        )
    if kind not in Amendment.Kind.values:
        raise ValidationError(_("Choose what the amendment does: replace, insert or delete."))
    rationale = clean_required(
        rationale,
        RATIONALE_MAX,
        _("Say why you propose this amendment."),
        _("The rationale has at most %(limit)s characters."),
    )
    item = ArticleInput(text="", heading="")
    if kind != Amendment.Kind.DELETE:
        item = _clean_article(ArticleInput(text=text, heading=heading))
    with transaction.atomic():
        pact = locked(pact)
        _require_amending(pact)
        version = _amended_version(pact)
        article = version.articles.filter(key=article_key).first()
        if article is None:
            raise ValidationError(_("The published version has no such article."))
        if kind == Amendment.Kind.REPLACE and (item.text, item.heading or article.heading) == (
            article.text,
            article.heading,
        ):
            raise ValidationError(_("The proposed text is the same as the article's."))
        ratelimits.hit(user, "pact.amend")
        amendment = Amendment.objects.create(
            pact=pact,
            version=version,
            article_key=article_key,
            kind=kind,
            text=item.text,
            heading=item.heading,
            rationale=rationale,
            author=user,
        )
        _record(
            user,
            amendment,
            "pact.amendment_proposed",
            after={"article": article.position, "kind": kind, "text": item.text},
        )
        emit(pact, "amendment.proposed", {"amendment": amendment_facts(amendment, article)})
        _notify(pact, "pact.amendment_proposed", user, _committee_ids(pact))
    return amendment


def amendment_facts(amendment: Amendment, article: Article | None = None) -> dict[str, Any]:
    """What everyone viewing the pact sees of an amendment."""
    if article is None:
        article = amendment.version.articles.filter(key=amendment.article_key).first()
    return {
        "id": amendment.pk,
        "article": amendment.article_key,
        "number": article.position if article else None,
        "kind": amendment.kind,
        "heading": amendment.heading,
        "text": amendment.text,
        "rationale": amendment.rationale,
        "author": str(amendment.author),
        "state": amendment.state,
        "supporters": amendment.supporters,
        "opponents": amendment.opponents,
        "reason": amendment.decision_reason,
        "at": amendment.created_at.isoformat(),
    }


def withdraw_amendment(user, amendment: Amendment) -> None:
    with transaction.atomic():
        pact = locked(amendment.pact)
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if amendment.author_id != getattr(user, "pk", None):
            raise PermissionDenied(_("Only its author can withdraw an amendment."))
        if amendment.state != A.PROPOSED:
            raise ValidationError(_("Only an amendment not yet decided can be withdrawn."))
        amendment.state, amendment.decided_at = A.WITHDRAWN, timezone.now()
        amendment.save(update_fields=["state", "decided_at"])
        _record(user, amendment, "pact.amendment_withdrawn")
        emit(
            pact,
            "amendment.decided",
            {"amendment": amendment.pk, "state": A.WITHDRAWN, "reason": ""},
        )


def take_position(user, amendment: Amendment, side: str | None) -> Amendment:
    """Support or oppose an amendment, change one's mind, or (`side` None) take back
    one's position: one per person, while amendments are open."""
    if side is not None and side not in AmendmentPosition.Side.values:
        raise ValidationError(_("Choose to support or to oppose the amendment."))
    if not policies.can_amend_pact(user, amendment.pact):
        raise PermissionDenied(
            _("Only verified residents of this pact's scope can support or oppose amendments.")
        )
    with transaction.atomic():
        pact = locked(amendment.pact)
        _require_amending(pact)
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if amendment.state != A.PROPOSED:
            raise ValidationError(_("This amendment has been decided already."))
        if amendment.author_id == user.pk:
            raise ValidationError(_("You proposed this amendment; others support or oppose it."))
        held = (
            AmendmentPosition.objects.filter(amendment=amendment, user=user)
            .values_list("side", flat=True)
            .first()
        )
        if held == side:
            return amendment
        if side is None:
            AmendmentPosition.objects.filter(amendment=amendment, user=user).delete()
        else:
            AmendmentPosition.objects.update_or_create(
                amendment=amendment, user=user, defaults={"side": side, "at": timezone.now()}
            )
        # Who supports what is for the committee and the record, not the public page.
        _record(
            user,
            amendment,
            "pact.position_taken",
            before={"side": held},
            after={"side": side},
            public=False,
        )
        sides = AmendmentPosition.objects.filter(amendment=amendment)
        amendment.supporters = sides.filter(side=AmendmentPosition.Side.SUPPORT).count()
        amendment.opponents = sides.filter(side=AmendmentPosition.Side.OPPOSE).count()
        amendment.save(update_fields=["supporters", "opponents"])
        emit(
            pact,
            "amendment.counts",
            {
                "amendment": amendment.pk,
                "supporters": amendment.supporters,
                "opponents": amendment.opponents,
            },
        )
    return amendment


def comment_on_amendment(user, amendment: Amendment, text: str) -> AmendmentComment:
    if not policies.can_amend_pact(user, amendment.pact):
        raise PermissionDenied(
            _("Only verified residents of this pact's scope can comment on amendments.")
        )
    text = clean_required(
        text,
        COMMENT_MAX,
        _("Write a comment."),
        _("A comment has at most %(limit)s characters."),
    )
    with transaction.atomic():
        pact = locked(amendment.pact)
        if pact.state not in (S.AMENDING, S.CONSOLIDATING):
            raise ValidationError(_("Comments on amendments are closed."))
        ratelimits.hit(user, "pact.comment")
        comment = AmendmentComment.objects.create(amendment=amendment, author=user, text=text)
        # Neither the trace nor the stream keeps the text: a comment hidden later must
        # not be read back from either (the page fetches the comments it may show).
        _record(
            user, amendment, "pact.amendment_commented", after={"comment": comment.pk}, public=False
        )
        emit(pact, "amendment.commented", {"amendment": amendment.pk, "comment": comment.pk})
    return comment


def hide_comment(actor, comment: AmendmentComment, reason: str) -> None:
    """The committee hides a comment with a public reason; it is never deleted."""
    pact = comment.amendment.pact
    _require_steer(actor, pact)
    reason = clean_required(
        reason,
        REASON_MAX,
        _("Give the public reason for hiding the comment."),
        _("A reason has at most %(limit)s characters."),
    )
    with transaction.atomic():
        pact = locked(pact)
        comment = AmendmentComment.objects.select_for_update().get(pk=comment.pk)
        if comment.is_hidden:
            raise ValidationError(_("This comment is hidden already."))
        comment.hidden_at, comment.hidden_by, comment.hidden_reason = timezone.now(), actor, reason
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        _record(actor, comment.amendment, "pact.comment_hidden", after={"reason": reason})
        emit(pact, "comment.hidden", {"comment": comment.pk, "reason": reason})


# ---------------------------------------------------------------------------- decisions


def clashing_keys(pact: Pact) -> set[int]:
    """Articles that an accepted amendment changes (replace or delete) but could not
    enter the working draft: another accepted amendment of this round changed the
    article already, or the committee rewrote it since the version was published. The
    committee reconciles them; none is applied over another silently."""
    return set(
        pact.amendments.filter(state=A.ACCEPTED, kind__in=CHANGES, merged_into=None).values_list(
            "article_key", flat=True
        )
    )


def decide_amendment(actor, amendment: Amendment, *, accept: bool, reason: str = "") -> Amendment:
    """The committee accepts an amendment (it enters the working draft at once, unless
    it clashes with another accepted change of the same article or with the committee's
    own rewriting of it) or rejects it with a public reason."""
    _require_steer(actor, amendment.pact)
    reason = clean_plain(reason or "").strip()
    if not accept and not reason:
        raise ValidationError(_("Give the public reason for rejecting the amendment."))
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _("A reason has at most %(limit)s characters.") % {"limit": REASON_MAX}
        )
    with transaction.atomic():
        pact = locked(amendment.pact)
        _require_state(pact, S.AMENDING, S.CONSOLIDATING)
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if amendment.state != A.PROPOSED:
            raise ValidationError(_("This amendment has been decided already."))
        amendment.state = A.ACCEPTED if accept else A.REJECTED
        amendment.decided_at, amendment.decided_by = timezone.now(), actor
        amendment.decision_reason = reason
        amendment.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
        clash = False
        if accept:
            clash = not _apply(pact, amendment)
        _record(
            actor,
            amendment,
            "pact.amendment_accepted" if accept else "pact.amendment_rejected",
            after={"reason": reason, "clash": clash},
        )
        emit(
            pact,
            "amendment.decided",
            {"amendment": amendment.pk, "state": amendment.state, "reason": reason, "clash": clash},
        )
        _notify(
            pact,
            "pact.amendment_accepted" if accept else "pact.amendment_rejected",
            actor,
            [amendment.author_id],
            reason,
        )
    return amendment


def _apply(pact: Pact, amendment: Amendment) -> bool:
    """Enter an accepted amendment into the working draft; False when it clashes with
    another accepted change of the same article, which the committee reconciles."""
    draft = working_draft(pact)
    article = draft.articles.filter(key=amendment.article_key).first()
    if amendment.kind in CHANGES:
        others = pact.amendments.filter(
            state=A.ACCEPTED, kind__in=CHANGES, article_key=amendment.article_key
        ).exclude(pk=amendment.pk)
        if others.filter(_this_round(draft)).exists() or _rewritten(article, amendment):
            return False
    if amendment.kind == Amendment.Kind.INSERT_AFTER:
        # In the chapter of the article it follows, even if that one is gone since.
        chapter = (article or amendment.version.articles.get(key=amendment.article_key)).chapter
        inserted = _insert_at(
            draft,
            _position_for(draft, amendment.version, amendment.article_key, inserted=True),
            ArticleInput(text=amendment.text, heading=amendment.heading, chapter=chapter),
        )
        amendment.inserted_key = inserted.key
    elif article is None and amendment.kind == Amendment.Kind.REPLACE:
        # The committee took the article out of the draft (accepted amendments that
        # take it out clash above): the new text would enter nothing.
        raise ValidationError(
            _(
                "The working draft no longer has this article, so this amendment cannot "
                "enter it. Reject it, giving that as the reason."
            )
        )
    elif article is None:
        pass  # a deletion of an article the committee took out already
    elif amendment.kind == Amendment.Kind.REPLACE:
        article.text = amendment.text
        article.heading = amendment.heading or article.heading
        article.save(update_fields=["text", "heading"])
    else:
        _remove(draft, article)
    amendment.merged_into = draft
    amendment.save(update_fields=["merged_into", "inserted_key"])
    emit(pact, "draft.changed", {"change": "amended", "key": amendment.article_key})
    return True


def _rewritten(article: Article | None, amendment: Amendment) -> bool:
    """Whether the committee rewrote the article in the working draft since the version
    the amendment amends (the article's text or heading no longer the same)."""
    if article is None:
        return False
    amended = amendment.version.articles.filter(key=amendment.article_key).first()
    return amended is not None and (article.text, article.heading) != (
        amended.text,
        amended.heading,
    )


def _this_round(draft: PactVersion | None) -> Q:
    """Accepted amendments not yet in a published version."""
    return Q(merged_into=None) | Q(merged_into=draft)


def _position_for(draft: PactVersion, version: PactVersion, key: int, *, inserted: bool) -> int:
    """Where an article accepted to follow article `key` of the amended `version`
    (`inserted`), or article `key` itself coming back, goes in the working draft: the
    number of the article it goes after. Each article of the draft ranks by the article
    of `version` it is, or was accepted to follow; the new one goes before the first
    that ranks after it. So insertions after one article keep the order they were
    accepted in, and one after an article deleted since follows the nearest article
    before it that is still there."""
    order = dict(version.articles.values_list("key", "position"))
    anchors = dict(
        draft.pact.amendments.filter(
            _this_round(draft),
            state=A.ACCEPTED,
            kind=Amendment.Kind.INSERT_AFTER,
            inserted_key__isnull=False,
        ).values_list("inserted_key", "article_key")
    )
    rank = (order[key], 1 if inserted else 0)
    for article_key, position in draft.articles.order_by("position").values_list("key", "position"):
        if article_key in order:
            theirs = (order[article_key], 0)
        elif anchors.get(article_key) in order:
            theirs = (order[anchors[article_key]], 1)
        else:
            continue  # added by the committee: it has no place in `version` to go by
        if theirs > rank:
            return position - 1
    return draft.articles.count()


def reconcile(
    actor,
    pact: Pact,
    article_key: int,
    *,
    deleted: bool = False,
    text: str = "",
    heading: str = "",
    note: str = "",
) -> Reconciliation:
    """The committee writes the text of an article that accepted amendments change in
    different ways (or deletes it), which enters the working draft in their place."""
    item = None if deleted else _clean_article(ArticleInput(text=text, heading=heading))
    note = clean_plain(note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError(_("A note has at most %(limit)s characters.") % {"limit": REASON_MAX})
    with transaction.atomic():
        pact, draft = _editable_for_reconciling(actor, pact)
        if article_key not in clashing_keys(pact):
            raise ValidationError(_("No accepted amendments clash on this article."))
        group = list(
            pact.amendments.filter(
                state=A.ACCEPTED, kind__in=CHANGES, article_key=article_key
            ).filter(_this_round(draft))
        )
        article = draft.articles.filter(key=article_key).first()
        if deleted:
            if article is not None:
                _remove(draft, article)
        elif article is None:
            # The article comes back in its place, under its own identity.
            version = group[0].version
            base = version.articles.get(key=article_key)
            _insert_at(
                draft,
                _position_for(draft, version, article_key, inserted=False),
                ArticleInput(item.text, item.heading or base.heading, base.chapter),
                key=article_key,
            )
        else:
            article.text, article.heading = item.text, item.heading or article.heading
            article.save(update_fields=["text", "heading"])
        reconciliation, _created = Reconciliation.objects.update_or_create(
            version=draft,
            article_key=article_key,
            defaults={
                "deleted": deleted,
                "text": item.text if item else "",
                "heading": item.heading if item else "",
                "note": note,
                "by": actor,
                "at": timezone.now(),
            },
        )
        reconciliation.amendments.set(group)
        Amendment.objects.filter(pk__in=[a.pk for a in group]).update(merged_into=draft)
        _record(
            actor,
            pact,
            "pact.amendments_reconciled",
            after={
                "amendments": [a.pk for a in group],
                "deleted": deleted,
                "text": item.text if item else "",
                "note": note,
            },
        )
        emit(pact, "draft.changed", {"change": "reconciled", "key": article_key})
    return reconciliation


def _editable_for_reconciling(actor, pact: Pact) -> tuple[Pact, PactVersion]:
    """Reconciling is consolidation work, also done while amendments are still open."""
    _require_steer(actor, pact)
    pact = locked(pact)
    _require_state(pact, S.AMENDING, S.CONSOLIDATING)
    return pact, working_draft(pact)


# ---------------------------------------------------------------------------- adoption


def _unchanged(draft: PactVersion, version: PactVersion | None) -> bool:
    if version is None:
        return False

    def text(v: PactVersion):
        return v.preamble, list(
            v.articles.order_by("position").values_list("key", "chapter", "heading", "text")
        )

    return text(draft) == text(version)


def start_vote(
    actor,
    pact: Pact,
    *,
    summary: str = "",
    closes_at: datetime | None = None,
) -> PactVersion:
    """Put the consolidated text to the vote of the scope under the pact kind's rule
    set: the working draft is published first if it changed since the last version."""
    _require_steer(actor, pact)
    kind, rule = ADOPTION[pact.kind]
    if not policies.can_handle_polls_in(actor, pact.place, "add"):
        raise PermissionDenied(
            _("Putting a pact to the vote takes a seat that runs votes in this place.")
        )
    if closes_at is not None and closes_at <= timezone.now():
        raise ValidationError(_("The vote must close at a time still to come."))
    with transaction.atomic():
        pact = locked(pact)
        _require_state(pact, S.CONSOLIDATING)
        draft = working_draft(pact)
        version = latest_published(pact)
        # The version already published goes to the vote if nothing was changed since
        # (amendments accepted into the draft and reconciled back to the same text
        # still enter a version of their own, which records their fate).
        if (
            _unchanged(draft, version)
            and version.poll_id is None
            and not draft.merged_amendments.exists()
        ):
            _check_ready(pact)
            draft.delete()
        else:
            version = _publish(actor, pact, summary)
        title = _("Adopt “%(title)s”, version %(n)d") % {"title": pact.title, "n": version.number}
        poll = poll_services.create_poll(
            actor,
            kind=kind,
            place=pact.place,
            entrance=pact.entrance,
            rule_name=rule,
            title=title[:200],
            description=pact.summary,
            questions=[
                {
                    "kind": "yes_no",
                    "text": _("Do you agree to adopt “%(title)s” (version %(n)d) as published?")
                    % {"title": pact.title, "n": version.number},
                }
            ],
            secrecy=Poll.Secrecy.PUBLIC if kind == "owners" else Poll.Secrecy.NAMED,
            closes_at=closes_at,
        )
        poll_services.prepare_roll(actor, poll)
        poll_services.open_poll(actor, poll)
        version.poll = poll
        version.save(update_fields=["poll"])
        _set_state(
            actor, pact, S.VOTING, "pact.vote_started", {"version": version.number, "poll": poll.pk}
        )
        emit(pact, "vote.started", {"version": version.number, "poll": poll.pk})
        _notify(pact, "pact.vote_started", actor, _residents_ids(pact) | _committee_ids(pact))
    return version


def settle_vote(poll: Poll, result: PollResult, actor=None) -> None:
    """The adoption vote closed (deliberation's poll receiver calls this in the poll's
    transaction): the version is adopted and published to the community's site, or the
    draft returns to consolidation with the result attached."""
    version = PactVersion.objects.filter(poll=poll).select_related("pact").first()
    if version is None:
        return
    pact = locked(version.pact)
    if pact.state != S.VOTING:
        return
    passed = all(q["decision"]["passed"] for q in result.data["questions"] if "decision" in q)
    now = timezone.now()
    if passed:
        previous = pact.in_force
        if previous is not None:
            previous.superseded_at = now
            previous.save(update_fields=["superseded_at"])
        version.adopted_at = now
        version.save(update_fields=["adopted_at"])
        pact.in_force = version
        pact.save(update_fields=["in_force"])
        _set_state(actor, pact, S.ADOPTED, "pact.adopted", {"version": version.number})
        signals.pact_adopted.send(sender=Pact, pact=pact, version=version)
    else:
        _copy(version, number=version.number + 1)
        _set_state(actor, pact, S.CONSOLIDATING, "pact.vote_failed", {"version": version.number})
    emit(pact, "vote.closed", {"version": version.number, "poll": poll.pk, "passed": passed})
    _notify(
        pact,
        "pact.adopted" if passed else "pact.vote_failed",
        actor,
        _residents_ids(pact) | _committee_ids(pact),
    )


def start_revision(actor, pact: Pact) -> PactVersion:
    """Begin amending an adopted pact: a working draft of the text in force, which goes
    through the same steps; the text in force stays so until its successor is adopted."""
    _require_steer(actor, pact)
    with transaction.atomic():
        pact = locked(pact)
        _require_state(pact, S.ADOPTED)
        last = latest_published(pact)
        draft = _copy(pact.in_force, number=last.number + 1)
        pact.amendments_close_at = None
        _set_state(actor, pact, S.DRAFTING, "pact.revision_started", {"from": pact.in_force.number})
    return draft


# ---------------------------------------------------------------------------- readers


def _broadcast_viewers(pact_id: int) -> None:
    """How many read the page now: a hint, not an event of the stream (not numbered,
    not stored); the relay forwards at most one a second per page."""
    count = PactViewer.objects.filter(pact_id=pact_id).count()
    broadcast.on_commit_send(
        Pact(pk=pact_id).group_name, {"type": "viewers", "count": count, "coalesce": True}
    )


def enter_page(pact: Pact, channel_name: str) -> None:
    """A connection to the pact's page opens."""
    with transaction.atomic():
        PactViewer.objects.create(pact=pact, channel_name=channel_name)
        _broadcast_viewers(pact.pk)


def leave_page(channel_name: str) -> None:
    with transaction.atomic():
        viewer = PactViewer.objects.filter(channel_name=channel_name).first()
        if viewer is None:
            return
        viewer.delete()
        _broadcast_viewers(viewer.pact_id)
