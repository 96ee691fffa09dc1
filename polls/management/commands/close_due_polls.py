from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polls.models import Poll
from polls.services import close_due_polls


class Command(BaseCommand):
    help = (
        "Close every open poll whose closing time has passed and keep its tally, as staff "
        "closing it would; the trace records the system as the one who closed it. Meant to "
        "run every minute from cron or a systemd timer; several runs at once are safe. "
        "Prints the polls it closed, and nothing when none was due (so cron sends no mail); "
        "-v 2 says so. Exits with status 1 when a poll past its closing time could not be "
        "closed (the log has the reason)."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        results = close_due_polls(now)
        if results:
            self.stdout.write(
                ngettext("Closed %(count)d poll:", "Closed %(count)d polls:", len(results))
                % {"count": len(results)}
            )
            for result in results:
                self.stdout.write(
                    "  "
                    + ngettext(
                        "#%(id)d “%(title)s”: %(ballots)d ballot",
                        "#%(id)d “%(title)s”: %(ballots)d ballots",
                        result.data["ballots"],
                    )
                    % {
                        "id": result.poll.pk,
                        "title": result.poll.title,
                        "ballots": result.data["ballots"],
                    }
                )
        elif options["verbosity"] >= 2:
            self.stdout.write(_("No poll was due to close."))
        stuck = list(
            Poll.objects.filter(state=Poll.State.OPEN, closes_at__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if stuck:
            raise CommandError(
                _("Polls past their closing time that could not be closed: %(ids)s.")
                % {"ids": ", ".join(f"#{pk}" for pk in stuck)}
            )
