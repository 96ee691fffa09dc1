"""The ballots of a poll as a CSV file, showing no more than the poll's secrecy allows.

In three queries whatever the number of ballots: the questions, the ballots (with their
voter, where there is one) and every answer.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Answer, Ballot, Poll

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def ballots_csv(poll: Poll) -> str:
    """`public` and `named` polls: one row per ballot with its voter, dwellings, area,
    channel, time and the choice per question. `secret` polls: the receipt code and
    the choices only, in receipt-code order, so that neither voter nor time shows."""
    questions = list(poll.questions.non_polymorphic().order_by("position", "pk"))
    answers = _answers(poll)
    out = io.StringIO()
    writer = csv.writer(out)
    question_headers = [_cell(q.text) for q in questions]
    secret = poll.secrecy == Poll.Secrecy.SECRET
    if secret:
        writer.writerow([_("receipt code"), *question_headers])
        for ballot in Ballot.objects.filter(poll=poll).order_by("receipt"):
            writer.writerow([ballot.receipt, *_choices(ballot, questions, answers)])
        return out.getvalue()
    writer.writerow(
        [_("voter"), _("dwellings"), _("area (m²)"), _("channel"), _("voted at"), *question_headers]
    )
    for row in _voter_rows(poll, questions, answers):
        writer.writerow(
            [
                _cell(row["voter"]),
                _cell("; ".join(row["dwellings"])),
                row["area"],
                row["channel"],
                row["voted_at"],
                *row["choices"],
            ]
        )
    return out.getvalue()


def voter_rows(poll: Poll) -> list[dict]:
    """Who chose what, for a `public` poll's results page (choices visible per
    voter and dwelling). Empty for other polls."""
    if poll.secrecy != Poll.Secrecy.PUBLIC:
        return []
    questions = list(poll.questions.non_polymorphic().order_by("position", "pk"))
    return _voter_rows(poll, questions, _answers(poll))


def _voter_rows(poll: Poll, questions, answers: dict[tuple[int, int], str]) -> list[dict]:
    ballots = (
        Ballot.objects.filter(poll=poll, participation__isnull=False)
        .select_related("participation__entry")
        .order_by("participation__voted_at", "participation__entry_id")
    )
    rows = []
    for ballot in ballots:
        participation = ballot.participation
        entry = participation.entry
        rows.append(
            {
                "voter": entry.label,
                "dwellings": [str(d) for d in entry.dwellings],
                "area": f"{entry.area:.2f}",
                "channel": participation.get_channel_display(),
                "voted_at": timezone.localtime(participation.voted_at).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "choices": _choices(ballot, questions, answers),
            }
        )
    return rows


def _answers(poll: Poll) -> dict[tuple[int, int], str]:
    """The choice on each (ballot, question) as text: several options separated by
    "; ", ranked options in rank order separated by " > ", a score after its option."""
    chosen: dict[tuple, list[str]] = defaultdict(list)
    ranked: set[tuple] = set()
    rows = (
        Answer.objects.filter(ballot__poll=poll)
        .order_by("ballot_id", "question_id", "rank", "option__position", "option_id")
        .values_list("ballot_id", "question_id", "option__label", "rank", "score")
    )
    for ballot_id, question_id, label, rank, score in rows:
        chosen[ballot_id, question_id].append(label if score is None else f"{label}: {score}")
        if rank is not None:
            ranked.add((ballot_id, question_id))
    return {key: (" > " if key in ranked else "; ").join(labels) for key, labels in chosen.items()}


def _choices(ballot: Ballot, questions, answers: dict[tuple[int, int], str]) -> list[str]:
    if ballot.spoiled:
        return [_("spoiled")] * len(questions)
    return [_cell(answers.get((ballot.pk, q.pk), "")) for q in questions]


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
