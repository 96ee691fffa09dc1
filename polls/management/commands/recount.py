import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from polls.recount import OWNER_RULES, RecountError, recount
from polls.rules import BUILTIN


class Command(BaseCommand):
    help = (
        "Recount an owners' vote from the property register and the paper ballots, without "
        "the database. REGISTER columns: dwelling, owner, registered_area, surveyed_area, "
        "contract_area, developer_held, delivered (the first area given counts; yes/no, "
        "true/false, 1/0 or 是/否). BALLOTS columns: dwelling, choice (yes, no, abstain, "
        "spoiled or 同意, 反对, 弃权, 废票); a ballot for any of an owner's dwellings is "
        "that owner's vote. With --json it prints one object with the keys rule, "
        "owners_total, area_total, owners_participating, area_participating, owners_yes, "
        "area_yes, quorum_met, passed. On bad input it lists every problem with its file "
        "and line and exits with status 2."
    )
    # An auditor's tool: no system checks, no database, nothing but the two files.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--register", type=Path, required=True, help="The register (CSV).")
        parser.add_argument("--ballots", type=Path, required=True, help="The ballots (CSV).")
        parser.add_argument(
            "--rule", required=True, help=f"The rule set: {' or '.join(OWNER_RULES)}."
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print only the figures, as one JSON object.",
        )

    def handle(self, *args, register: Path, ballots: Path, rule: str, as_json: bool, **options):
        try:
            figures = recount(register, ballots, rule)
        except RecountError as error:
            self.stderr.write(
                _("Nothing was counted. Fix these problems and run the recount again:")
            )
            for problem in error.problems:
                self.stderr.write(str(problem))
            sys.exit(2)
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(self.summary(figures))

    @staticmethod
    def summary(figures: dict) -> str:
        rule = BUILTIN[figures["rule"]]
        quorum = " · ".join(t.describe() for t in rule.quorum)
        passing = " · ".join(t.describe() for t in rule.passing)
        return "\n".join(
            [
                _("Rule set: %(name)s — %(label)s") % {"name": rule.name, "label": rule.label},
                _("Owners on the register: %(owners)s, holding %(area)s m²")
                % {"owners": figures["owners_total"], "area": figures["area_total"]},
                _("Taking part: %(owners)s owners, holding %(area)s m²")
                % {
                    "owners": figures["owners_participating"],
                    "area": figures["area_participating"],
                },
                _("Agreeing: %(owners)s owners, holding %(area)s m²")
                % {"owners": figures["owners_yes"], "area": figures["area_yes"]},
                _("Quorum (%(thresholds)s of the register): %(outcome)s")
                % {
                    "thresholds": quorum,
                    "outcome": _("met") if figures["quorum_met"] else _("not met"),
                },
                _("Passing (%(thresholds)s of those taking part): %(outcome)s")
                % {
                    "thresholds": passing,
                    "outcome": _("passed") if figures["passed"] else _("not passed"),
                },
            ]
        )
