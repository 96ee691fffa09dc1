"""Results for people: server-drawn SVG bar charts and the words that explain a rule
set and a decision. Figures come from `tally` (live) or the stored `PollResult`; the
shares shown are for reading only, the decision itself was made in exact arithmetic."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 320
LABEL_SIZE = 16
VALUE_SIZE = 14
COLOURS = {"yes": "#1e6b34", "no": "#a51c30", "abstain": "#5d676d", "spoiled": "#8a5300"}
DEFAULT_COLOUR = "#1a5fb4"
TRACK = "#e3e7ea"


def percent(part: Any, whole: Any) -> str:
    """A share for display, e.g. "66.67%"; "—" when there is nothing to share."""
    part, whole = Decimal(str(part)), Decimal(str(whole))
    if whole <= 0:
        return "—"
    return f"{(part * 100 / whole).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def square_metres(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f} m²"


@dataclass(frozen=True)
class Bar:
    """One row of a chart: `share` and `area_share` are between 0 and 1."""

    label: str
    value: str
    share: Decimal
    area_share: Decimal | None = None
    colour: str = DEFAULT_COLOUR


def _share(part: Any, whole: Any) -> Decimal:
    part, whole = Decimal(str(part)), Decimal(str(whole))
    if whole <= 0:
        return Decimal(0)
    return max(Decimal(0), min(Decimal(1), part / whole))


def _fit(label: str, width: float, size: int) -> str:
    """Cut a label that would run past the chart's edge (CJK glyphs are one em wide)."""
    used, kept = 0.0, []
    for char in label:
        used += size if unicodedata.east_asian_width(char) in "WF" else size * 0.58
        if used > width:
            return "".join(kept[:-1]) + "…"
        kept.append(char)
    return label


def _px(share: Decimal) -> str:
    return f"{float(share * WIDTH):.1f}"


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar]) -> SafeString:
    """Horizontal bars, each with its label above and its figures below, readable at
    360 px. The SVG names itself (`role="img"`, `<title>`, `<desc>`); the same figures
    go in a table next to it for screen readers."""
    with_area = any(bar.area_share is not None for bar in bars)
    row = 76 if with_area else 64
    parts = []
    for index, bar in enumerate(bars):
        top = index * row
        bar_y = top + 23
        value_y = top + (65 if with_area else 54)
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="{}" fill="#1d2327">{}</text>'
                '<rect x="0" y="{}" width="{}" height="14" rx="2" fill="{}"/>'
                '<rect x="0" y="{}" width="{}" height="14" rx="2" fill="{}"/>',
                top + 16,
                LABEL_SIZE,
                _fit(bar.label, WIDTH, LABEL_SIZE),
                bar_y,
                WIDTH,
                TRACK,
                bar_y,
                _px(bar.share),
                bar.colour,
            )
        )
        if bar.area_share is not None:
            parts.append(
                format_html(
                    '<rect x="0" y="{}" width="{}" height="9" rx="2" fill="{}" '
                    'fill-opacity="0.75"/>',
                    bar_y + 17,
                    _px(bar.area_share),
                    bar.colour,
                )
            )
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="{}" fill="#4f5b62">{}</text>',
                value_y,
                VALUE_SIZE,
                bar.value,
            )
        )
    height = max(row * len(bars), row)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-title {}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        mark_safe("".join(parts)),  # noqa: S308 -- each part was built by format_html
    )


# The words of a rule set -----------------------------------------------------------


def heads_noun(counting: str) -> str:
    return {
        "person": _("voters"),
        "household": _("households"),
        "owner_area": _("owners"),
    }.get(counting, _("voters"))


def needs(threshold: dict[str, Any]) -> str:
    if threshold["compare"] == "at_least":
        return _("at least %(fraction)s") % {"fraction": threshold["fraction"]}
    return _("more than %(fraction)s") % {"fraction": threshold["fraction"]}


def _threshold_sentence(stage: str, threshold: dict[str, Any], noun: str) -> str:
    values = {"fraction": threshold["fraction"], "noun": noun}
    at_least = threshold["compare"] == "at_least"
    if stage == "quorum" and threshold["basis"] == "heads":
        sentence = (
            _("At least %(fraction)s of all %(noun)s on the roll must take part.")
            if at_least
            else _("More than %(fraction)s of all %(noun)s on the roll must take part.")
        )
    elif stage == "quorum":
        sentence = (
            _("Those taking part must hold at least %(fraction)s of the total floor area.")
            if at_least
            else _("Those taking part must hold more than %(fraction)s of the total floor area.")
        )
    elif threshold["basis"] == "heads":
        sentence = (
            _("At least %(fraction)s of the %(noun)s taking part must agree.")
            if at_least
            else _("More than %(fraction)s of the %(noun)s taking part must agree.")
        )
    else:
        sentence = (
            _("Those agreeing must hold at least %(fraction)s of the floor area taking part.")
            if at_least
            else _("Those agreeing must hold more than %(fraction)s of the floor area taking part.")
        )
    return sentence % values


def rule_in_words(rule: dict[str, Any]) -> list[str]:
    """The rule set's thresholds as sentences, in the order they are applied."""
    noun = heads_noun(rule["counting"])
    sentences = [
        {
            "person": _("Each voter counts once."),
            "household": _("Each household counts once."),
            "owner_area": _(
                "Each owner counts once and carries the floor area of all their dwellings "
                "in the vote's scope."
            ),
        }.get(rule["counting"], "")
    ]
    if rule["quorum"]:
        sentences += [_threshold_sentence("quorum", t, noun) for t in rule["quorum"]]
    else:
        sentences.append(_("No quorum is required."))
    sentences += [_threshold_sentence("passing", t, noun) for t in rule["passing"]]
    sentences.append(
        _("Disagreeing and abstaining count as taking part; only agreeing counts as agreeing.")
    )
    sentences.append(
        _("Spoiled ballots count as taking part.")
        if rule.get("spoiled_participates", True)
        else _("Spoiled ballots do not count as taking part.")
    )
    return [s for s in sentences if s]


def _check(check: dict[str, Any], noun: str) -> dict[str, Any]:
    by_area = check["basis"] == "area"
    if check["stage"] == "quorum":
        title = (
            _("Quorum: floor area taking part, of the total")
            if by_area
            else _("Quorum: %(noun)s taking part, of all on the roll") % {"noun": noun}
        )
    else:
        title = (
            _("Passing: floor area agreeing, of the area taking part")
            if by_area
            else _("Passing: %(noun)s agreeing, of those taking part") % {"noun": noun}
        )
    show = square_metres if by_area else str
    return {
        "title": title,
        "part": show(check["part"]),
        "whole": show(check["whole"]),
        "share": percent(check["part"], check["whole"]),
        "needs": needs(check),
        "met": check["met"],
    }


# Figures for the templates -----------------------------------------------------------


def _table_row(label: str, heads: int, heads_whole: int, area: str | None, area_whole):
    return {
        "label": label,
        "heads": heads,
        "share": percent(heads, heads_whole),
        "area": area,
        "area_share": percent(area, area_whole) if area is not None else None,
    }


def _counted(question: dict, figures: dict, with_area: bool, noun: str) -> dict[str, Any]:
    """Yes/no, single and multiple choice: heads (and area) per option."""
    decision = question.get("decision")
    if decision:
        heads_whole = decision["owners_participating"]
        area_whole = decision["area_participating"]
    else:
        # Without a decision there is no "area taking part" figure: areas are measured
        # against the whole roll, heads against the valid ballots.
        heads_whole = figures["ballots"] - figures["spoiled"]["heads"]
        area_whole = figures["electorate"]["area"]
    bars, rows = [], []
    for option in question["options"]:
        area = option["area"] if with_area else None
        value = f"{option['heads']} · {percent(option['heads'], heads_whole)}"
        if area is not None:
            value += f"  |  {area} m² · {percent(area, area_whole)}"
        bars.append(
            Bar(
                label=option["label"],
                value=value,
                share=_share(option["heads"], heads_whole),
                area_share=_share(area, area_whole) if area is not None else None,
                colour=COLOURS.get(option.get("code") or "", DEFAULT_COLOUR),
            )
        )
        rows.append(_table_row(option["label"], option["heads"], heads_whole, area, area_whole))
    if decision:
        spoiled = decision["choices"]["spoiled"]
        if spoiled["heads"]:
            rows.append(
                _table_row(
                    _("spoiled"),
                    spoiled["heads"],
                    heads_whole,
                    spoiled["area"] if with_area else None,
                    area_whole,
                )
            )
    description = "; ".join(
        f"{r['label']} {r['heads']} ({r['share']})"
        + (f", {r['area']} m² ({r['area_share']})" if r["area"] is not None else "")
        for r in rows
    )
    result: dict[str, Any] = {"bars": bars, "rows": rows, "description": description}
    if decision:
        result["decision"] = {
            "passed": decision["passed"],
            "quorum_met": decision["quorum_met"],
            "checks": [_check(c, noun) for c in decision["checks"]],
            "heads_total": decision["owners_total"],
            "area_total": decision["area_total"],
            "heads_participating": decision["owners_participating"],
            "area_participating": decision["area_participating"],
            "heads_share": percent(decision["owners_participating"], decision["owners_total"]),
            "area_share": percent(decision["area_participating"], decision["area_total"]),
        }
    return result


def _ranked(question: dict) -> dict[str, Any]:
    labels = {str(o["id"]): o["label"] for o in question["options"]}
    rounds = question.get("rounds") or []
    first = {str(k): v for k, v in (rounds[0]["counts"] if rounds else {}).items()}
    continuing = sum(first.values())
    bars = [
        Bar(
            label=labels[key],
            value=f"{first.get(key, 0)} · {percent(first.get(key, 0), continuing)}",
            share=_share(first.get(key, 0), continuing),
        )
        for key in labels
    ]
    table = []
    for key, label in labels.items():
        cells = []
        for number, round_ in enumerate(rounds, start=1):
            counts = {str(k): v for k, v in round_["counts"].items()}
            eliminated = {str(e) for e in round_["eliminated"]}
            cells.append(
                {
                    "count": counts.get(key),
                    "eliminated": key in eliminated,
                    "round": number,
                }
            )
        table.append({"label": label, "cells": cells})
    winner = question.get("winner")
    return {
        "bars": bars,
        "rows": [_table_row(labels[k], first.get(k, 0), continuing, None, None) for k in labels],
        "description": "; ".join(f"{labels[k]} {first.get(k, 0)}" for k in labels),
        "rounds": {
            "numbers": list(range(1, len(rounds) + 1)),
            "options": table,
            "exhausted": [r["exhausted"] for r in rounds],
            "winner": labels.get(str(winner)) if winner is not None else None,
        },
    }


def _scored(question: dict, max_score: int) -> dict[str, Any]:
    scores = {str(k): v for k, v in (question.get("scores") or {}).items()}
    bars, rows = [], []
    for option in question["options"]:
        score = scores.get(str(option["id"]), {"voters": 0, "sum": 0, "average": "0.00"})
        bars.append(
            Bar(
                label=option["label"],
                value=_("average %(average)s of %(max)d · %(voters)d scored")
                % {"average": score["average"], "max": max_score, "voters": score["voters"]},
                share=_share(score["average"], max_score),
            )
        )
        rows.append({"label": option["label"], **score})
    return {
        "bars": bars,
        "score_rows": rows,
        "max_score": max_score,
        "description": "; ".join(f"{r['label']} {r['average']}" for r in rows),
    }


def present(figures: dict[str, Any], max_scores: dict[int, int]) -> dict[str, Any]:
    """Everything the results section shows, from a tally's figures."""
    rule = figures["rule"]
    with_area = rule["counting"] == "owner_area"
    noun = heads_noun(rule["counting"])
    questions = []
    for question in figures["questions"]:
        if question["kind"] == "ranked":
            shown = _ranked(question)
        elif question["kind"] == "score":
            shown = _scored(question, max_scores.get(question["id"], 5))
        else:
            shown = _counted(question, figures, with_area, noun)
        chart_id = f"chart-q{question['id']}"
        shown["chart"] = bar_chart(chart_id, question["text"], shown["description"], shown["bars"])
        shown.update(id=question["id"], kind=question["kind"], text=question["text"])
        questions.append(shown)
    electorate = figures["electorate"]
    return {
        "rule": rule,
        "rule_words": rule_in_words(rule),
        "with_area": with_area,
        "noun": noun,
        "electorate": electorate,
        "ballots": figures["ballots"],
        "spoiled": figures["spoiled"],
        "turnout": percent(figures["ballots"], electorate["heads"]),
        "questions": questions,
    }
