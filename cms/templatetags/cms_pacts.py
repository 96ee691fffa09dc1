"""What the adopted pacts' pages show besides their own fields (built in
cms/views/pacts.py from the pact's record)."""

from django import template

from ..views import pacts

register = template.Library()


@register.simple_tag
def pact_record(page) -> dict:
    return pacts.record(page)


@register.simple_tag
def pact_listing(index_page) -> list:
    return pacts.listing(index_page)
