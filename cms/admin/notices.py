"""Back office: notices. Editors of a community see, for each urgent notice, how many of
the residents it is addressed to have confirmed reading it, building by building."""

from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem

from .. import policies, queries
from ..models import NoticePage
from ..scope import community_of_page


def notice_reads(request, pk: int):
    notice = get_object_or_404(
        NoticePage.objects.select_related("compound", "building__compound"), pk=pk
    )
    if not policies.can_see_reads(request.user, notice):
        return render(request, "cms/admin/notice_reads_refused.html", status=403)
    community = community_of_page(notice)
    community_id = community.pk if community else None
    return render(
        request,
        "cms/admin/notice_reads.html",
        {
            "notice": notice,
            "buildings": queries.reads_by_building(notice, community_id),
            "total": queries.reads_in_total(notice, community_id),
            "page_title": _("Who has read “%(title)s”") % {"title": notice.title},
            "header_icon": "tick",
        },
    )


@hooks.register("register_admin_urls")
def register_notice_urls():
    return [path("notices/<int:pk>/reads/", notice_reads, name="cms_notice_reads")]


class NoticeReadsButton(PageMenuItem):
    label = gettext_lazy("Who has read it")
    icon_name = "tick"
    url_name = "cms_notice_reads"

    def is_shown(self, user):
        return policies.can_see_reads(user, self.page)


@hooks.register("register_page_header_buttons")
def notice_reads_button(page, user, view_name, next_url=None):
    if page.specific_class is NoticePage:
        yield NoticeReadsButton(page=page.specific, priority=40)
