"""The online ballot: every question of a poll in one form.

Field names are a public contract (paper-ballot scanners and tests post them):
`q<question>` carries an option id (yes/no, single choice; repeated for multiple
choice), `q<question>_rank_<option>` a rank 1..n (blank: not ranked) and
`q<question>_score_<option>` a score 0..max (blank: not scored). The form checks the
shape of the answers; `services.cast_ballot` checks them again against the poll."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from .models import Question


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class BallotForm(forms.Form):
    def __init__(self, *args, questions: list[Question], prefill: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.prefill = prefill or {}
        self.question_errors: dict[int, str] = {}
        self.choices: dict[int, Any] = {}
        for question in questions:
            for name in self._names(question):
                self.fields[name] = forms.CharField(required=False)

    @staticmethod
    def _names(question: Question) -> list[str]:
        if question.kind == "ranked":
            return [f"q{question.pk}_rank_{o.pk}" for o in question.options.all()]
        if question.kind == "score":
            return [f"q{question.pk}_score_{o.pk}" for o in question.options.all()]
        return [f"q{question.pk}"]

    def _list(self, name: str) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        if getlist is not None:
            return getlist(name)
        value = self.data.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    def clean(self):
        for question in self.questions:
            try:
                self.choices[question.pk] = self._read(question)
            except forms.ValidationError as error:
                message = error.messages[0]
                self.question_errors[question.pk] = message
                self.add_error(None, message)
        return self.cleaned_data

    def _read(self, question: Question) -> Any:
        options = {o.pk for o in question.options.all()}
        text = question.text
        not_an_option = forms.ValidationError(
            _("That is not an option of “%(text)s”.") % {"text": text}
        )
        unanswered = forms.ValidationError(_("Answer “%(text)s”.") % {"text": text})
        if question.kind in ("yes_no", "single"):
            picked = self._list(f"q{question.pk}")
            if not picked or picked == [""]:
                raise unanswered
            if len(picked) > 1:
                raise forms.ValidationError(
                    _("Choose only one option for “%(text)s”.") % {"text": text}
                )
            option = _int(picked[0])
            if option not in options:
                raise not_an_option
            return option
        if question.kind == "multiple":
            picked = [_int(p) for p in self._list(f"q{question.pk}") if p != ""]
            if any(p not in options for p in picked):
                raise not_an_option
            picked = list(dict.fromkeys(picked))
            if not picked:
                raise unanswered
            if not question.min_picks <= len(picked) <= question.max_picks:
                raise forms.ValidationError(
                    _("Pick between %(low)d and %(high)d options for “%(text)s”.")
                    % {"low": question.min_picks, "high": question.max_picks, "text": text}
                )
            return picked
        if question.kind == "ranked":
            return self._ranking(question, unanswered)
        return self._scores(question, unanswered)

    def _ranking(self, question: Question, unanswered) -> list[int]:
        ranks = {}
        count = len(question.options.all())
        for option in question.options.all():
            raw = (self.data.get(f"q{question.pk}_rank_{option.pk}") or "").strip()
            if not raw:
                continue
            rank = _int(raw)
            if rank is None or not 1 <= rank <= count:
                raise forms.ValidationError(
                    _("Ranks in “%(text)s” are whole numbers from 1 to %(n)d.")
                    % {"text": question.text, "n": count}
                )
            ranks[option.pk] = rank
        if not ranks:
            raise unanswered
        if sorted(ranks.values()) != list(range(1, len(ranks) + 1)):
            raise forms.ValidationError(
                _(
                    "In “%(text)s”, number your choices 1, 2, 3… without repeating or "
                    "skipping a number."
                )
                % {"text": question.text}
            )
        return sorted(ranks, key=ranks.get)

    def _scores(self, question: Question, unanswered) -> dict[int, int]:
        scores = {}
        for option in question.options.all():
            raw = (self.data.get(f"q{question.pk}_score_{option.pk}") or "").strip()
            if not raw:
                continue
            score = _int(raw)
            if score is None or not 0 <= score <= question.max_score:
                raise forms.ValidationError(
                    _("Scores in “%(text)s” go from 0 to %(max)d.")
                    % {"text": question.text, "max": question.max_score}
                )
            scores[option.pk] = score
        if not scores:
            raise unanswered
        return scores

    def rows(self) -> list[dict[str, Any]]:
        """Each question with its inputs and what they hold, for the template."""
        rows = []
        for question in self.questions:
            options = list(question.options.all())
            prefilled = self.prefill.get(question.pk)
            inputs = []
            for position, option in enumerate(options, start=1):
                if question.kind == "ranked":
                    name = f"q{question.pk}_rank_{option.pk}"
                    value = self._value(name, _prefilled_rank(prefilled, option.pk), fallback="")
                elif question.kind == "score":
                    name = f"q{question.pk}_score_{option.pk}"
                    value = self._value(name, (prefilled or {}).get(option.pk), fallback="")
                else:
                    name = f"q{question.pk}"
                    chosen = self._list(name) if self.is_bound else _as_list(prefilled)
                    value = str(option.pk) in {str(c) for c in chosen}
                inputs.append(
                    {"option": option, "name": name, "value": value, "id": f"{name}-{position}"}
                )
            rows.append(
                {
                    "question": question,
                    "inputs": inputs,
                    "error": self.question_errors.get(question.pk),
                    "count": len(options),
                }
            )
        return rows

    def _value(self, name: str, initial: Any, *, fallback: str) -> str:
        if self.is_bound:
            return self.data.get(name) or fallback
        return fallback if initial is None else str(initial)


def _prefilled_rank(prefilled: Any, option: int) -> int | None:
    if isinstance(prefilled, list) and option in prefilled:
        return prefilled.index(option) + 1
    return None


def _as_list(prefilled: Any) -> list:
    if prefilled is None:
        return []
    return prefilled if isinstance(prefilled, list) else [prefilled]
