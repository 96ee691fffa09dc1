"""What the voting engine tells the rest of the site. Signals are sent inside the
transaction of the change, so a receiver that records them (deliberation's trace)
commits or rolls back with it; receivers that broadcast should use on_commit.

- poll_opened(poll, actor)
- ballot_cast(poll, participation, actor, changed)
- poll_closed(poll, actor, result)
- poll_changed(poll, actor, action, before=None, after=None): created, roll prepared or
  corrected, result published
- rule_set_changed(rule_set, actor, action, before=None, after=None): a local rule set
  created, changed or deleted
"""

from django.dispatch import Signal

poll_opened = Signal()
ballot_cast = Signal()
poll_closed = Signal()
poll_changed = Signal()
rule_set_changed = Signal()
