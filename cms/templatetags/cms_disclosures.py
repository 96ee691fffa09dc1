"""What the disclosure pages Wagtail serves show beyond the page's own fields (built in
cms/views/disclosures.py, so that the page and the question form's answer agree)."""

from django import template

from ..views import disclosures

register = template.Library()


@register.simple_tag(takes_context=True)
def disclosure_listing(context, index_page) -> dict:
    return disclosures.listing(context["request"], index_page)


@register.simple_tag(takes_context=True)
def disclosure_extras(context, page) -> dict:
    return disclosures.extras(context["request"], page, question_form=context.get("question_form"))
