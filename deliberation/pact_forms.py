"""Forms for the resident pages of pacts and the drafting committee's page: proposing an
amendment, supporting or opposing one, commenting, choosing two versions to compare, and
the committee's work on the draft, the amendments and the steps. The forms check what a
browser sends; the services check the rules again, inside their transactions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Amendment, AmendmentPosition, Article
from .services import pacts

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

HEADING_ERRORS = {"max_length": _("A heading has at most %(limit_value)d characters.")}


def _heading() -> forms.CharField:
    return forms.CharField(
        label=_("Heading (optional)"),
        required=False,
        max_length=pacts.HEADING_MAX,
        error_messages=HEADING_ERRORS,
    )


def _article_text(required: bool = True, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=_("Text of the article"),
        required=required,
        max_length=pacts.ARTICLE_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": _("Write the article's text."),
            "max_length": _("An article has at most %(limit_value)d characters."),
        },
    )


class DeadlineInput(forms.DateTimeInput):
    """A date and time picker (a phone shows its own) that still takes typed text."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


def _deadline(label, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DeadlineInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={
            "required": _("Give the date and time."),
            "invalid": _("Give a date and time such as 2025-06-30 18:00."),
        },
    )


# ---------------------------------------------------------------------------- residents


class AmendmentForm(forms.Form):
    """A resident's amendment to one article of the published version."""

    kind = forms.ChoiceField(
        label=_("What the amendment does"),
        choices=Amendment.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what the amendment does: replace, insert or delete."),
            "invalid_choice": _("Choose what the amendment does: replace, insert or delete."),
        },
    )
    heading = _heading()
    text = forms.CharField(
        label=_("Proposed text"),
        required=False,
        max_length=pacts.ARTICLE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "For a replacement, the article as you want it; for an insertion, the new article; "
            "for a deletion, nothing."
        ),
        error_messages={"max_length": _("An article has at most %(limit_value)d characters.")},
    )
    rationale = forms.CharField(
        label=_("Why"),
        max_length=pacts.RATIONALE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Say why you propose this amendment."),
            "max_length": _("The rationale has at most %(limit_value)d characters."),
        },
    )

    def __init__(self, *args, article: Article, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article

    def clean(self):
        data = super().clean()
        kind, text = data.get("kind"), (data.get("text") or "").strip()
        if kind in (Amendment.Kind.REPLACE, Amendment.Kind.INSERT_AFTER) and not text:
            self.add_error("text", _("Write the text you propose."))
        elif kind == Amendment.Kind.INSERT_AFTER and text == self.article.text.strip():
            # The form comes filled with the article's text, for a replacement.
            self.add_error(
                "text",
                _("Write the text of the new article: this is the text of the current one."),
            )
        return data


POSITION_CHOICES = [*AmendmentPosition.Side.choices, ("none", _("take back my position"))]


class PositionForm(forms.Form):
    """Support, oppose, or take back one's position; `back` says which page the form was
    on, to return there."""

    side = forms.ChoiceField(
        choices=POSITION_CHOICES,
        error_messages={
            "required": _("Choose to support or to oppose the amendment."),
            "invalid_choice": _("Choose to support or to oppose the amendment."),
        },
    )
    back = forms.ChoiceField(required=False, choices=[("pact", "pact"), ("amendment", "amendment")])

    def side_value(self) -> str | None:
        side = self.cleaned_data["side"]
        return None if side == "none" else side


class AmendmentCommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your comment"),
        max_length=pacts.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write a comment."),
            "max_length": _("A comment has at most %(limit_value)d characters."),
        },
    )


class HideCommentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown in place of the comment"),
        max_length=pacts.REASON_MAX,
        error_messages={
            "required": _("Give the public reason for hiding the comment."),
            "max_length": _("A reason has at most %(limit_value)d characters."),
        },
    )


class CompareForm(forms.Form):
    """Two published versions to compare, by number."""

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, _("Version %(n)d") % {"n": n}) for n in numbers]
        errors = {
            "required": _("Choose a published version of this pact."),
            "invalid_choice": _("Choose a published version of this pact."),
        }
        self.fields["from"] = forms.TypedChoiceField(
            label=_("From"), choices=choices, coerce=int, error_messages=errors
        )
        self.fields["to"] = forms.TypedChoiceField(
            label=_("To"), choices=choices, coerce=int, error_messages=errors
        )

    def clean(self):
        data = super().clean()
        if data.get("from") is not None and data.get("from") == data.get("to"):
            raise forms.ValidationError(_("Choose two different versions."))
        return data


# ---------------------------------------------------------------------------- the committee


class ArticleForm(forms.Form):
    """An article of the working draft, edited or added by the committee."""

    heading = _heading()
    chapter = forms.CharField(
        label=_("Chapter (optional)"),
        required=False,
        max_length=pacts.CHAPTER_MAX,
        help_text=_("Articles in a row with the same chapter form that chapter."),
        error_messages={
            "max_length": _("A chapter's title has at most %(limit_value)d characters.")
        },
    )
    text = _article_text()

    def article(self) -> pacts.ArticleInput:
        data = self.cleaned_data
        return pacts.ArticleInput(
            text=data["text"], heading=data["heading"], chapter=data["chapter"]
        )


class PreambleForm(forms.Form):
    preamble = forms.CharField(
        label=_("Preamble"),
        required=False,
        max_length=pacts.PREAMBLE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("The preamble has at most %(limit_value)d characters.")},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "accept"), ("reject", "reject")],
        error_messages={
            "required": _("Choose to accept or to reject the amendment."),
            "invalid_choice": _("Choose to accept or to reject the amendment."),
        },
    )
    reason = forms.CharField(
        label=_("Public reason"),
        required=False,
        max_length=pacts.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("A reason has at most %(limit_value)d characters.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the public reason for rejecting the amendment."))
        return data


class ReconcileForm(forms.Form):
    """The committee's text for an article that accepted amendments change in different
    ways, or its deletion."""

    deleted = forms.BooleanField(label=_("Delete the article"), required=False)
    heading = _heading()
    text = _article_text(required=False, rows=6)
    note = forms.CharField(
        label=_("Note (what was reconciled, and how)"),
        required=False,
        max_length=pacts.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("A note has at most %(limit_value)d characters.")},
    )

    def clean(self):
        data = super().clean()
        if not data.get("deleted") and not (data.get("text") or "").strip() and not self.errors:
            self.add_error("text", _("Write the article's text, or choose to delete it."))
        return data


def _summary(required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("What changed in this version"),
        required=required,
        max_length=pacts.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Say in a few words what changed in this version."),
            "max_length": _("The summary of changes has at most %(limit_value)d characters."),
        },
    )


class OpenAmendmentsForm(forms.Form):
    closes_at = _deadline(_("Amendments close at"), required=True)
    summary = _summary(required=True)


class VoteForm(forms.Form):
    summary = _summary(required=False)
    closes_at = _deadline(_("The vote closes at (optional)"), required=False)
