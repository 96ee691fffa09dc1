import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from deliberation.services.imports import ImportRowsError, import_dwellings, read_register


class Command(BaseCommand):
    help = (
        "Import a community's property register from a UTF-8 CSV or an .xlsx workbook "
        "(first sheet) with the columns compound, building, entrance, floor, number, "
        "registered_area, area_source, owner_name, owner_phone, developer_held, delivered. "
        "All or nothing; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The register: a .csv or .xlsx file.")
        parser.add_argument(
            "--community",
            required=True,
            help="The community's name; it is created if it does not exist.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(self, *args, file: Path, community: str, no_progress: bool, **options):
        try:
            rows = read_register(file)
            show_progress = not no_progress and len(rows) > settings.YISHI_IMPORT_PROGRESS_MIN_ROWS
            with tqdm(
                total=len(rows), file=sys.stderr, unit=_("rows"), disable=not show_progress
            ) as bar:
                result = import_dwellings(community, rows, source=file.name, progress=bar)
        except ImportRowsError as exc:
            raise CommandError(self.describe_errors(exc.errors)) from None

        if result.community_created:
            self.stdout.write(
                _("Created the community %(name)s and its staff groups.")
                % {"name": result.community.name}
            )
        if not result.created and not result.updated:
            self.stdout.write(
                ngettext(
                    "Nothing to change: %(count)s dwelling already matches.",
                    "Nothing to change: %(count)s dwellings already match.",
                    result.unchanged,
                )
                % {"count": f"{result.unchanged:,}"}
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(community)s — dwellings created: %(created)s, updated: %(updated)s, "
                    "unchanged: %(unchanged)s."
                )
                % {
                    "community": result.community.name,
                    "created": f"{result.created:,}",
                    "updated": f"{result.updated:,}",
                    "unchanged": f"{result.unchanged:,}",
                }
            )
        )

    @staticmethod
    def describe_errors(errors: list[tuple[int, str]]) -> str:
        lines = [
            ngettext(
                "Nothing was imported. Fix this problem and import the file again:",
                "Nothing was imported. Fix these %(count)s problems and import the file again:",
                len(errors),
            )
            % {"count": f"{len(errors):,}"}
        ]
        lines += [
            _("line %(line)s: %(message)s") % {"line": line, "message": message}
            if line
            else message
            for line, message in errors
        ]
        return "\n".join(lines)
