"""Back office: disclosures. Editors of a community answer residents' questions on its
disclosures (a listing with the unanswered first; overdue ones flagged on the
dashboard) and withdraw a published disclosure with a public reason. Both go through
cms.services, so each leaves its trace entry."""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from deliberation.wagtail_hooks import BackOfficeViewSet

from .. import policies, queries, services
from ..models import DisclosurePage, DisclosureQuestion

ANSWERING = ("view", "change")
DASHBOARD_QUESTIONS = 10

# ------------------------------------------------------------------- questions (质询)


def questions_for(user):
    """The questions a staff member answers: those in the communities they edit."""
    return queries.questions_in(policies.editor_community_filter(user, "community_id"))


class QuestionPermissionPolicy(BasePermissionPolicy):
    """Editors of a community (not Django model permissions) see and answer the
    questions of that community; nobody adds or deletes them here."""

    permission_cache_name = "_disclosure_question_permissions"

    def get_all_permissions_for_user(self, user):
        return set(ANSWERING) if policies.edits_any_community(user) else set()

    def user_has_permission(self, user, action):
        return action in self.get_cached_permissions_for_user(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return action in ANSWERING and policies.can_answer_question(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        if set(actions) & set(ANSWERING):
            return questions_for(user)
        return DisclosureQuestion.objects.none()


question_permissions = QuestionPermissionPolicy(DisclosureQuestion)
register_permission_policy(DisclosureQuestion, question_permissions)


class QuestionFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("State"),
        choices=[
            ("overdue", gettext_lazy("Overdue")),
            ("unanswered", gettext_lazy("Unanswered")),
            ("answered", gettext_lazy("Answered")),
        ],
        method="filter_state",
        empty_label=gettext_lazy("All"),
    )

    class Meta:
        model = DisclosureQuestion
        fields = ["state"]

    def filter_state(self, queryset, name, value):
        if value == "overdue":
            return queries.overdue(queryset)
        return queryset.filter(answered_at__isnull=value == "unanswered")


def _state(question) -> str:
    if question.is_answered:
        return _("answered")
    return _("overdue") if question.is_overdue() else _("waiting for an answer")


class QuestionIndexView(IndexView):
    def get_base_queryset(self):
        return questions_for(self.request.user)


class AnswerView(EditView):
    success_message = gettext_lazy("The answer is published under the disclosure.")

    def get_queryset(self):
        return questions_for(self.request.user)

    def save_instance(self):
        return services.answer_question(
            self.request.user, self.object, self.form.cleaned_data["answer"]
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            form.add_error("answer", error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class QuestionViewSet(BackOfficeViewSet):
    """Questions on disclosures: listed with the unanswered first; the edit view takes
    the answer only."""

    model = DisclosureQuestion
    name = "disclosure_questions"
    icon = "help"
    menu_label = gettext_lazy("Questions on disclosures")
    add_to_admin_menu = True
    menu_order = 160
    views = ("edit",)
    index_view_class = QuestionIndexView
    edit_view_class = AnswerView
    filterset_class = QuestionFilterSet
    search_fields = ["text", "answer", "page__title"]
    list_display = [
        "text",
        "page",
        "asked_at",
        Column("state", label=gettext_lazy("State"), accessor=_state),
        "answered_at",
    ]
    panels = [
        FieldPanel("page", read_only=True),
        FieldPanel("text", read_only=True),
        FieldPanel("asked_at", read_only=True),
        FieldPanel("answer"),
    ]


@hooks.register("register_admin_viewset")
def register_questions():
    return QuestionViewSet()


class OverdueQuestionsPanel(Component):
    """On the dashboard: the questions of the editor's communities waiting too long."""

    name = "overdue_questions"
    order = 60
    template_name = "cms/admin/overdue_questions_panel.html"

    def __init__(self, questions: list, total: int):
        self.questions = questions
        self.total = total

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context.update(
            questions=self.questions,
            total=self.total,
            now=timezone.now(),
            index_url=reverse("disclosure_questions:index") + "?state=overdue",
        )
        return context


@hooks.register("construct_homepage_panels")
def add_overdue_questions(request, panels):
    if not question_permissions.user_has_permission(request.user, "view"):
        return
    overdue = queries.overdue(questions_for(request.user))
    questions = list(overdue[:DASHBOARD_QUESTIONS])
    if questions:
        panels.append(OverdueQuestionsPanel(questions, overdue.count()))


# ------------------------------------------------------------------------ withdrawal


class WithdrawForm(forms.Form):
    # Not `required`: the service says what is wrong with the reason, in one wording.
    reason = forms.CharField(
        label=gettext_lazy("Reason for withdrawing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.REASON_MAX_LENGTH}),
        help_text=gettext_lazy(
            "Shown to everyone above the disclosure, with today's date. The disclosure "
            "itself stays visible below it."
        ),
    )


def _forbidden(request):
    return render(request, "cms/admin/withdraw_refused.html", status=403)


def withdraw(request, page_id: int):
    page = get_object_or_404(DisclosurePage, pk=page_id)
    if not policies.can_withdraw(request.user, page):
        return _forbidden(request)
    withdrawal = queries.withdrawal_of(page)
    # A page that cannot be withdrawn gets no form: the errors say why, beside nothing.
    withdrawable = page.live and withdrawal is None
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.withdraw_disclosure(request.user, page, form.cleaned_data["reason"])
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error("reason" if withdrawable else None, error)
        else:
            messages.success(
                request,
                _("“%(title)s” is withdrawn; the reason is shown above it.")
                % {"title": page.title},
            )
            return redirect("wagtailadmin_pages:edit", page.pk)
    return render(
        request,
        "cms/admin/withdraw.html",
        {
            "disclosure": page,
            "withdrawal": withdrawal,
            "withdrawable": withdrawable,
            "form": form,
            "page_title": _("Withdraw “%(title)s”") % {"title": page.title},
            "header_icon": "warning",
        },
        status=400 if form.errors else 200,
    )


@hooks.register("register_admin_urls")
def register_withdraw_url():
    return [path("disclosures/<int:page_id>/withdraw/", withdraw, name="cms_withdraw_disclosure")]


class WithdrawButton(PageMenuItem):
    label = gettext_lazy("Withdraw")
    icon_name = "warning"
    url_name = "cms_withdraw_disclosure"

    def is_shown(self, user):
        return (
            self.page.live
            and queries.withdrawal_of(self.page) is None
            and policies.can_withdraw(user, self.page)
        )


@hooks.register("register_page_header_buttons")
def withdraw_button(page, user, view_name, next_url=None):
    if page.specific_class is DisclosurePage:
        yield WithdrawButton(page=page, priority=55)
