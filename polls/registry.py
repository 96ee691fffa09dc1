"""Finding a rule set by name: the built-in ones, then the communities' local variants."""

from django.utils.translation import gettext as _

from .models import LocalRuleSet
from .rules import BUILTIN, RuleSet, RuleSetError


def get_ruleset(name: str) -> RuleSet:
    if name in BUILTIN:
        return BUILTIN[name]
    local = LocalRuleSet.objects.filter(name=name).first()
    if local is None:
        raise RuleSetError(_("There is no rule set called %(name)s.") % {"name": name})
    return RuleSet.from_data(name, {"label": local.label, **local.data})


def choices() -> list[tuple[str, str]]:
    builtin = [(name, rule.label) for name, rule in BUILTIN.items()]
    local = list(LocalRuleSet.objects.order_by("name").values_list("name", "label"))
    return builtin + local
