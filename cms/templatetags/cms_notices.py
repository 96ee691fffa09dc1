"""What the notice pages Wagtail serves show beyond the page's own fields: the notice
board's lists and, on an urgent notice, whether this resident has confirmed reading it."""

from django import template
from django.core.paginator import Paginator

from .. import policies, queries

register = template.Library()

BOARD_PAGE_SIZE = 20


@register.simple_tag(takes_context=True)
def notice_board(context, index_page) -> dict:
    """Current notices (pinned, then urgent, then newest) and past ones, each paginated:
    ?page= for the current list, ?past= for the past one."""
    request = context["request"]
    return {
        "current": Paginator(queries.current_notices_under(index_page), BOARD_PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "past": Paginator(queries.past_notices_under(index_page), BOARD_PAGE_SIZE).get_page(
            request.GET.get("past")
        ),
    }


@register.simple_tag(takes_context=True)
def notice_reading(context, notice) -> dict:
    """For an urgent notice: may this person confirm reading it, and have they?"""
    user = context["request"].user
    if not notice.is_urgent or not policies.can_confirm_read(user, notice):
        return {"addressed": False, "read": None}
    return {"addressed": True, "read": queries.read_of(notice, user)}
