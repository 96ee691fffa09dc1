import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from polls.exports import ballots_csv
from polls.models import Poll
from polls.recount import RECOUNT_KEYS
from polls.tally import tally


class Command(BaseCommand):
    help = (
        "Show the tally of a poll, open or closed. With --json it prints one object: "
        "poll, title, state, ballots, spoiled {heads, area} and questions, a list with for "
        "each question its text, kind and options [{label, heads, area}]; a yes/no question "
        "adds the keys of the recount: rule, owners_total, area_total, "
        "owners_participating, area_participating, owners_yes, area_yes, quorum_met, "
        "passed (under a rule that counts persons or households, owners_* count those and "
        "areas are 0.00); a ranked question adds winner and rounds, a scored one scores. "
        "When the poll asks one yes/no question, its recount keys and options are also at "
        "the top level, so the output compares directly with the recount's. Areas are "
        "strings with two decimals. --ballots-csv writes the ballots as the poll's secrecy "
        "allows."
    )

    def add_arguments(self, parser):
        parser.add_argument("poll", type=int, help="The poll's id.")
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print only the figures, as one JSON object.",
        )
        parser.add_argument(
            "--ballots-csv",
            type=Path,
            dest="csv_file",
            help="Also write the ballots to this CSV file (UTF-8 with BOM, for spreadsheets).",
        )

    def handle(self, *args, poll: int, as_json: bool, csv_file: Path | None, **options):
        found = Poll.objects.filter(pk=poll).first()
        if found is None:
            raise CommandError(_("There is no poll %(id)s.") % {"id": poll})
        figures = tally_figures(found)
        if csv_file is not None:
            try:
                csv_file.write_text(ballots_csv(found), encoding="utf-8-sig", newline="")
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(reason)s")
                    % {"file": csv_file, "reason": error.strerror or error}
                ) from None
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(self.summary(figures))
        if csv_file is not None:
            self.stdout.write(_("Ballots written to %(file)s.") % {"file": csv_file})

    @staticmethod
    def summary(figures: dict[str, Any]) -> str:
        lines = [
            _("Poll %(id)s “%(title)s” (%(state)s): %(ballots)s ballots, %(spoiled)s spoiled")
            % {
                "id": figures["poll"],
                "title": figures["title"],
                "state": figures["state"],
                "ballots": figures["ballots"],
                "spoiled": figures["spoiled"]["heads"],
            }
        ]
        for question in figures["questions"]:
            lines.append("")
            lines.append(question["text"])
            for option in question["options"]:
                lines.append(
                    "  "
                    + _("%(label)s: %(heads)s, %(area)s m²")
                    % {"label": option["label"], "heads": option["heads"], "area": option["area"]}
                )
            if "passed" in question:
                lines.append(
                    "  "
                    + _(
                        "%(rule)s — voters %(total)s (%(area_total)s m²), taking part "
                        "%(part)s (%(area_part)s m²), agreeing %(yes)s (%(area_yes)s m²)"
                    )
                    % {
                        "rule": question["rule"],
                        "total": question["owners_total"],
                        "area_total": question["area_total"],
                        "part": question["owners_participating"],
                        "area_part": question["area_participating"],
                        "yes": question["owners_yes"],
                        "area_yes": question["area_yes"],
                    }
                )
                lines.append(
                    "  "
                    + (_("quorum met") if question["quorum_met"] else _("quorum not met"))
                    + " · "
                    + (_("passed") if question["passed"] else _("not passed"))
                )
            if question.get("winner"):
                lines.append("  " + _("winner: %(label)s") % {"label": question["winner"]})
        return "\n".join(lines)


def tally_figures(poll: Poll) -> dict[str, Any]:
    """The tally of `poll` in the shape the command's help describes."""
    data = tally(poll)
    questions = []
    for question in data["questions"]:
        labels = {option["id"]: option["label"] for option in question["options"]}
        figures: dict[str, Any] = {
            "text": question["text"],
            "kind": question["kind"],
            "options": [
                {"label": o["label"], "heads": o["heads"], "area": o["area"]}
                for o in question["options"]
            ],
        }
        if "decision" in question:
            figures.update({key: question["decision"][key] for key in RECOUNT_KEYS})
        if "rounds" in question:
            figures["winner"] = labels.get(question["winner"])
            figures["rounds"] = [
                {
                    "counts": {labels[o]: n for o, n in r["counts"].items()},
                    "eliminated": [labels[o] for o in r["eliminated"]],
                    "exhausted": r["exhausted"],
                }
                for r in question["rounds"]
            ]
        if "scores" in question:
            figures["scores"] = {labels[o]: s for o, s in question["scores"].items()}
        questions.append(figures)
    result: dict[str, Any] = {
        "poll": poll.pk,
        "title": poll.title,
        "state": poll.state,
        "ballots": data["ballots"],
        "spoiled": data["spoiled"],
    }
    if len(questions) == 1 and questions[0]["kind"] == "yes_no":
        only = questions[0]
        result.update({key: only[key] for key in RECOUNT_KEYS})
        result["options"] = only["options"]
    result["questions"] = questions
    return result
