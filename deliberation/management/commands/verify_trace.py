"""Walk the whole trace and say whether it is intact, or where it first breaks."""

from django.core.management.base import BaseCommand, CommandError

from deliberation import trace


class Command(BaseCommand):
    help = "Check that the trace chain is unbroken: every entry present, linked and unaltered."

    def handle(self, *args, **options) -> None:
        checked, broken = trace.verify()
        if broken is not None:
            raise CommandError(
                f"Trace broken at entry #{broken.seq}: {broken.reason} "
                f"({checked} entries before it are intact)."
            )
        self.stdout.write(self.style.SUCCESS(f"Trace intact: {checked} entries."))
