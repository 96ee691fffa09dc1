"""What the voting engine tells the rest of the site. Receivers live in other apps."""

from django.dispatch import Signal

poll_opened = Signal()
ballot_cast = Signal()
poll_closed = Signal()
