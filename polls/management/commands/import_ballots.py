from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polls import services
from polls.counting import SPOILED
from polls.models import Participation, Poll, RollEntry
from polls.recount import Problem, parse_choice, read_csv, unknown_choice_message

COLUMNS = ("voter", "choice")


@dataclass(frozen=True)
class PaperBallot:
    line: int
    entry: RollEntry
    choice: str


class Refused(Exception):
    """Raised inside the transaction so that every ballot entered so far is rolled back."""


class Command(BaseCommand):
    help = (
        "Enter the paper ballots of a poll with one yes/no question from a UTF-8 CSV file "
        "with the columns voter, choice. voter is a key of the poll's voter roll or one of "
        "the dwellings a roll entry stands for; choice is yes, no, abstain or spoiled (同意, "
        "反对, 弃权, 废票). All or nothing: any problem is listed with its line and nothing "
        "is entered. The same voter twice with the same choice is entered once."
    )

    def add_arguments(self, parser):
        parser.add_argument("poll", type=int, help="The poll's id.")
        parser.add_argument("file", type=Path, help="The ballots (CSV).")
        parser.add_argument(
            "--entered-by",
            dest="entered_by",
            help="The phone number of the counting staff member entering the ballots.",
        )

    def handle(self, *args, poll: int, file: Path, entered_by: str | None, **options):
        found = Poll.objects.filter(pk=poll).first()
        if found is None:
            raise CommandError(_("There is no poll %(id)s.") % {"id": poll})
        poll = found
        problems: list[str] = []
        clerk = None
        if entered_by:
            clerk = _user_by_phone(entered_by)
            if clerk is None:
                problems.append(
                    _("--entered-by: nobody has the phone number %(phone)s.")
                    % {"phone": entered_by}
                )
        options_by_code = self.yes_no_options(poll, problems)
        if poll.state != Poll.State.OPEN:
            problems.append(
                _("Poll %(id)s is %(state)s: paper ballots are entered only while it is open.")
                % {"id": poll.pk, "state": poll.get_state_display()}
            )
        ballots, file_problems, repeats = self.read_ballots(poll, file)
        problems += [str(p) for p in file_problems]
        can_cast = poll.state == Poll.State.OPEN and options_by_code is not None
        try:
            with transaction.atomic():
                if can_cast:
                    problems += self.cast(poll, file, ballots, options_by_code, clerk)
                if problems:
                    raise Refused
        except Refused:
            raise CommandError(self.describe(problems)) from None
        for line in repeats:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Entered %(count)s paper ballot into poll %(id)s “%(title)s”.",
                    "Entered %(count)s paper ballots into poll %(id)s “%(title)s”.",
                    len(ballots),
                )
                % {"count": len(ballots), "id": poll.pk, "title": poll.title}
            )
        )

    @staticmethod
    def yes_no_options(poll: Poll, problems: list[str]) -> dict[str, tuple[int, int]] | None:
        """(question id, option id) by code (yes, no, abstain), if the poll asks one
        yes/no question."""
        questions = list(poll.questions.prefetch_related("options"))
        if len(questions) != 1 or questions[0].kind != "yes_no":
            problems.append(
                _(
                    "This file format supports one yes/no question, but poll %(id)s asks: "
                    "%(kinds)s. Enter its ballots one by one."
                )
                % {
                    "id": poll.pk,
                    "kinds": ", ".join(str(q._meta.verbose_name) for q in questions) or "—",
                }
            )
            return None
        question = questions[0]
        return {option.code: (question.pk, option.pk) for option in question.options.all()}

    @staticmethod
    def read_ballots(poll: Poll, file: Path) -> tuple[list[PaperBallot], list[Problem], list[str]]:
        rows, problems = read_csv(file, COLUMNS)
        name = str(file)
        entries = list(RollEntry.objects.filter(roll__poll=poll).select_related("roll"))
        by_key = {entry.key: entry for entry in entries}
        by_dwelling: dict[str, list[RollEntry]] = {}
        for entry in entries:
            for dwelling in entry.dwellings:
                by_dwelling.setdefault(str(dwelling), []).append(entry)
        ballots: list[PaperBallot] = []
        first: dict[int, PaperBallot] = {}
        repeats = []
        for row in rows:
            voter, text = row.cells["voter"], row.cells["choice"]
            choice = parse_choice(text)
            if choice is None:
                problems.append(Problem(name, row.line, unknown_choice_message(text)))
            entry = by_key.get(voter)
            if entry is None:
                candidates = by_dwelling.get(voter, [])
                if len(candidates) == 1:
                    entry = candidates[0]
                elif candidates:
                    problems.append(
                        Problem(
                            name,
                            row.line,
                            _(
                                "Dwelling %(dwelling)s stands for several voters (%(keys)s): "
                                "write the voter's key instead."
                            )
                            % {"dwelling": voter, "keys": ", ".join(e.key for e in candidates)},
                        )
                    )
                    continue
                else:
                    problems.append(
                        Problem(
                            name,
                            row.line,
                            _("“%(voter)s” is neither a voter nor a dwelling of this poll's roll.")
                            % {"voter": voter},
                        )
                    )
                    continue
            if choice is None:
                continue
            earlier = first.get(entry.pk)
            if earlier is None:
                first[entry.pk] = PaperBallot(row.line, entry, choice)
                ballots.append(first[entry.pk])
            elif earlier.choice == choice:
                repeats.append(
                    _(
                        "%(file)s:%(line)s: %(voter)s again with the same choice as on line "
                        "%(first)s: counted once."
                    )
                    % {"file": name, "line": row.line, "voter": entry.label, "first": earlier.line}
                )
            else:
                problems.append(
                    Problem(
                        name,
                        row.line,
                        _(
                            "Conflicting choices from %(voter)s: %(choice)s here, %(first_choice)s "
                            "on line %(first)s. Settle which is the voter's ballot."
                        )
                        % {
                            "voter": entry.label,
                            "choice": choice,
                            "first_choice": earlier.choice,
                            "first": earlier.line,
                        },
                    )
                )
        return ballots, problems, repeats

    @staticmethod
    def cast(poll: Poll, file: Path, ballots, options_by_code, clerk) -> list[str]:
        """Cast each ballot through the service; a refusal (already voted, …) is kept with
        its line, and the caller's transaction rolls everything back."""
        problems = []
        for ballot in ballots:
            try:
                if ballot.choice == SPOILED:
                    choices = {}
                else:
                    question, option = options_by_code[ballot.choice]
                    choices = {question: option}
                services.cast_ballot(
                    poll,
                    ballot.entry,
                    choices,
                    channel=Participation.Channel.PAPER,
                    entered_by=clerk,
                    spoiled=ballot.choice == SPOILED,
                )
            except ValidationError as error:
                problems.append(
                    str(
                        Problem(
                            str(file),
                            ballot.line,
                            f"{ballot.entry.label}: {' '.join(error.messages)}",
                        )
                    )
                )
        return problems

    @staticmethod
    def describe(problems: list[str]) -> str:
        heading = ngettext(
            "Nothing was entered. Fix this problem and import the file again:",
            "Nothing was entered. Fix these %(count)s problems and import the file again:",
            len(problems),
        ) % {"count": len(problems)}
        return "\n".join([heading, *problems])


def _user_by_phone(raw: str):
    phone = raw.strip().replace(" ", "").replace("-", "")
    if len(phone) == 11 and phone.isdigit():
        phone = "+86" + phone
    return get_user_model().objects.filter(phone=phone).first()
