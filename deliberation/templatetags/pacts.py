"""Template filters of the pact pages: an article's number as it is cited (第三条), and a
comparison's runs of changed characters as marked-up HTML."""

from django import template
from django.utils.safestring import SafeString

from .. import pact_text

register = template.Library()


@register.filter
def article_label(number: int) -> str:
    """第N条 for the article at position N."""
    return pact_text.article_label(int(number))


@register.filter
def ops_html(ops: list[pact_text.Op]) -> SafeString:
    """Insertions and deletions marked with <ins> and <del>, announced to screen readers."""
    return pact_text.render_ops_html(ops)
