"""The back office for places and people: viewsets, the verification queue and its menu item.

Every list, object and form choice stops at the places where the staff member holds a
seat that grants the permission in question: the whole community for a community's seat,
one compound for a compound's seat; superusers see everything. Writes go through the
services, so each one leaves its trace entry.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.urls import include, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from . import admin_views, meeting_admin, pact_admin, policies, queries, topic_admin
from .models import (
    Building,
    Community,
    Compound,
    Dwelling,
    Membership,
    Role,
    TraceEntry,
    User,
)
from .phones import normalize_phone
from .services import people, places

# ---------------------------------------------------------------------------- views


def _in_scope(model, user, action: str):
    """`model`'s objects that the person's seats reach for `action`."""
    scope = policies.back_office_scope(user, model, action)
    return queries.listing(model, policies.scope_filter(model, scope))


class ScopedIndexView(IndexView):
    def get_base_queryset(self):
        return queries.listing(self.model, policies.scope_filter(self.model, self._scope("view")))

    @cached_property
    def _scopes(self) -> dict[str, frozenset[policies.Seat] | None]:
        return {}

    def _scope(self, action: str) -> frozenset[policies.Seat] | None:
        if action not in self._scopes:
            self._scopes[action] = policies.back_office_scope(self.request.user, self.model, action)
        return self._scopes[action]

    def _offers(self, action: str, instance) -> bool:
        return policies.scope_covers(self._scope(action), instance)

    def get_edit_url(self, instance):
        url = super().get_edit_url(instance)
        return url if url and self._offers("change", instance) else None

    def get_delete_url(self, instance):
        url = super().get_delete_url(instance)
        return url if url and self._offers("delete", instance) else None


class ScopedFormMixin:
    """Narrow every place or role choice in the form to the places the seats reach, so a
    committee of one community (or compound) cannot move anything into another."""

    scope_action = "add"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        scope = policies.back_office_scope(self.request.user, self.model, self.scope_action)
        for field in form.fields.values():
            model = getattr(getattr(field, "queryset", None), "model", None)
            if model in policies.COMPOUND_LOOKUP:
                field.queryset = queries.listing(model, policies.scope_filter(model, scope))
        return form

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ScopedObjectMixin:
    scope_action = "change"

    def get_queryset(self):
        return _in_scope(self.model, self.request.user, self.scope_action)


class PlaceCreateView(ScopedFormMixin, CreateView):
    def save_instance(self):
        return places.save_place(self.request.user, self.form.save(commit=False), created=True)


class PlaceEditView(ScopedObjectMixin, ScopedFormMixin, EditView):
    scope_action = "change"

    def save_instance(self):
        return places.save_place(self.request.user, self.form.save(commit=False), created=False)


class RoleForm(forms.ModelForm):
    """Seat a person, found by the mobile number they signed up with."""

    phone = forms.CharField(
        label=gettext_lazy("Mobile number of the person"),
        max_length=20,
        help_text=gettext_lazy("The number they signed up with, e.g. 13812345678."),
    )

    class Meta:
        model = Role
        fields = ["phone", "kind", "community", "compound", "title"]

    def clean_phone(self) -> User:
        number = normalize_phone(self.cleaned_data["phone"])
        user = User.objects.filter(phone=number, is_active=True).first()
        if user is None:
            raise ValidationError(
                _("No account has this mobile number. Ask the person to sign up first.")
            )
        return user

    def clean(self):
        data = super().clean()
        user, kind = data.get("phone"), data.get("kind")
        community, compound = data.get("community"), data.get("compound")
        if compound and community and compound.community_id != community.pk:
            self.add_error("compound", _("The compound is not in this community."))
        elif user and kind and community:
            seats = Role.objects.filter(user=user, kind=kind, community=community)
            if seats.filter(compound=compound).exists():
                raise ValidationError(_("This person already holds this seat."))
        return data


class RoleCreateView(ScopedFormMixin, CreateView):
    def get_success_buttons(self):
        return []  # roles have no edit view

    def save_instance(self):
        data = self.form.cleaned_data
        return people.grant_role(
            self.request.user,
            data["phone"],
            data["kind"],
            data["community"],
            data["compound"],
            data["title"],
        )


class RoleDeleteView(ScopedObjectMixin, DeleteView):
    scope_action = "delete"

    def delete_action(self):
        people.revoke_role(self.request.user, self.object)


# ---------------------------------------------------------------------------- filters


def _choices_in_scope(model):
    def queryset(request):
        return _in_scope(model, request.user, "view").order_by(*model._meta.ordering)

    return queryset


class CompoundFilterSet(WagtailFilterSet):
    community = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Community"), queryset=_choices_in_scope(Community)
    )

    class Meta:
        model = Compound
        fields = ["community"]


class BuildingFilterSet(WagtailFilterSet):
    community = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Community"),
        field_name="compound__community",
        queryset=_choices_in_scope(Community),
    )
    compound = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Compound"), queryset=_choices_in_scope(Compound)
    )

    class Meta:
        model = Building
        fields = ["community", "compound"]


class DwellingFilterSet(WagtailFilterSet):
    compound = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Compound"),
        field_name="building__compound",
        queryset=_choices_in_scope(Compound),
    )
    building = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Building"), queryset=_choices_in_scope(Building)
    )

    class Meta:
        model = Dwelling
        fields = ["compound", "building", "developer_held", "delivered", "area_source"]


class MembershipFilterSet(WagtailFilterSet):
    community = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Community"),
        field_name="dwelling__building__compound__community",
        queryset=_choices_in_scope(Community),
    )

    class Meta:
        model = Membership
        fields = ["status", "kind", "community"]


class RoleFilterSet(WagtailFilterSet):
    community = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Community"), queryset=_choices_in_scope(Community)
    )

    class Meta:
        model = Role
        fields = ["kind", "community"]


class TraceFilterSet(WagtailFilterSet):
    """Actions and object types are offered as they occur in the entries the person
    may read, so the choices tell nothing about other communities."""

    action = django_filters.ChoiceFilter(label=gettext_lazy("Action"))
    object_type = django_filters.ChoiceFilter(label=gettext_lazy("Object type"))

    class Meta:
        model = TraceEntry
        fields = ["action", "object_type", "is_public"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        scope = policies.back_office_scope(request.user, TraceEntry, "view")
        readable = policies.scope_filter(TraceEntry, scope)
        for field in ("action", "object_type"):
            self.filters[field].extra["choices"] = self._choices(field, readable)

    @staticmethod
    def _choices(field, readable):
        return lambda: [(value, value) for value in queries.trace_values(field, readable)]


# ---------------------------------------------------------------------------- viewsets


class BackOfficeViewSet(ModelViewSet):
    """A model viewset offering only the views named in `views` besides the listing.

    History and usage are left out: the trace is the one record of who changed what.
    """

    views: tuple[str, ...] = ()
    index_view_class = ScopedIndexView
    add_view_class = PlaceCreateView
    edit_view_class = PlaceEditView
    copy_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(history_url_name=None, usage_url_name=None)
        for view in ("add", "edit", "delete"):
            if view not in self.views:
                view_kwargs[f"{view}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        # Built here rather than filtered from super(): views left out are never constructed.
        patterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if "add" in self.views:
            patterns.append(path("new/", self.add_view, name="add"))
        if "edit" in self.views:
            patterns.append(path("edit/<int:pk>/", self.edit_view, name="edit"))
        if "delete" in self.views:
            patterns.append(path("delete/<int:pk>/", self.delete_view, name="delete"))
        return patterns


class CommunityViewSet(BackOfficeViewSet):
    model = Community
    name = "communities"
    icon = "site"
    views = ("add", "edit")
    form_fields = ["name", "district"]
    list_display = ["name", "district", "created_at"]
    search_fields = ["name", "district"]


class CompoundViewSet(BackOfficeViewSet):
    model = Compound
    name = "compounds"
    icon = "home"
    views = ("add", "edit")
    form_fields = ["community", "name"]
    list_display = ["name", "community"]
    search_fields = ["name"]
    filterset_class = CompoundFilterSet


class BuildingViewSet(BackOfficeViewSet):
    model = Building
    name = "buildings"
    icon = "table"
    views = ("add", "edit")
    form_fields = ["compound", "name"]
    list_display = ["__str__", "compound__community"]
    search_fields = ["name", "compound__name"]
    filterset_class = BuildingFilterSet


class DwellingViewSet(BackOfficeViewSet):
    model = Dwelling
    name = "dwellings"
    icon = "key"
    views = ("add", "edit")
    # The owner's account is linked by verifying their claim, never picked from a list.
    form_fields = [
        "building",
        "entrance",
        "floor",
        "number",
        "registered_area",
        "area_source",
        "developer_held",
        "delivered",
        "owner_name",
        "owner_phone",
    ]
    list_display = [
        "__str__",
        "floor",
        "registered_area",
        "area_source",
        "owner_name",
        BooleanColumn(
            "developer_held", label=gettext_lazy("held by the developer"), sort_key="developer_held"
        ),
        BooleanColumn("delivered", label=gettext_lazy("delivered"), sort_key="delivered"),
    ]
    search_fields = ["number", "owner_name", "building__name", "building__compound__name"]
    filterset_class = DwellingFilterSet


class MembershipViewSet(BackOfficeViewSet):
    model = Membership
    name = "memberships"
    icon = "group"
    list_display = ["user", "dwelling", "kind", "status", "claimed_at", "decided_by"]
    search_fields = ["user__display_name", "dwelling__number", "dwelling__owner_name"]
    filterset_class = MembershipFilterSet


class RoleViewSet(BackOfficeViewSet):
    model = Role
    name = "roles"
    icon = "user"
    views = ("add", "delete")
    add_view_class = RoleCreateView
    delete_view_class = RoleDeleteView
    list_display = ["user", "kind", "community", "compound", "title", "granted_at"]
    search_fields = ["user__display_name", "title"]
    filterset_class = RoleFilterSet

    def get_form_class(self, for_update=False):
        return RoleForm


class TraceViewSet(BackOfficeViewSet):
    """The trace is append-only: a listing and nothing else."""

    model = TraceEntry
    name = "trace"
    icon = "history"
    ordering = "-seq"
    list_display = [
        "seq",
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_label",
        "is_public",
    ]
    search_fields = ["object_label", "actor_label"]
    filterset_class = TraceFilterSet


class PlacesAndPeople(ModelViewSetGroup):
    menu_label = gettext_lazy("Places & people")
    menu_icon = "home"
    items = (
        CommunityViewSet,
        CompoundViewSet,
        BuildingViewSet,
        DwellingViewSet,
        MembershipViewSet,
        RoleViewSet,
        TraceViewSet,
    )


@hooks.register("register_admin_viewset")
def register_places_and_people():
    return PlacesAndPeople()


# ---------------------------------------------------------------------------- queue


class VerificationQueueMenuItem(MenuItem):
    def is_shown(self, request):
        return policies.can_see_verification_queue(request.user)

    def render_component(self, request):
        user = request.user
        pending = admin_views.claims_to_verify(user).count()
        component = super().render_component(request)
        if pending:
            component.label = _("%(label)s (%(count)d)") % {"label": self.label, "count": pending}
        return component


@hooks.register("register_admin_menu_item")
def register_verification_queue_menu_item():
    return VerificationQueueMenuItem(
        gettext_lazy("Verification queue"),
        reverse("deliberation_verification_queue"),
        name="verification-queue",
        icon_name="tick",
        order=150,
    )


@hooks.register("register_admin_urls")
def register_verification_urls():
    return [
        path(
            "verification/",
            admin_views.verification_queue,
            name="deliberation_verification_queue",
        ),
        path(
            "verification/<int:pk>/verify/",
            admin_views.verify_membership,
            name="deliberation_verify_membership",
        ),
        path(
            "verification/<int:pk>/reject/",
            admin_views.reject_membership,
            name="deliberation_reject_membership",
        ),
    ]


# ------------------------------------------------------------------------ dashboard


class CommunityOverviewPanel(Component):
    """What a committee secretary checks first: claims waiting and who has joined."""

    name = "community_overview"
    order = 50
    template_name = "deliberation/admin/community_overview_panel.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = parent_context["request"].user
        # "Claims waiting" counts the viewer's own queue, so the figure and the queue agree.
        context["communities"] = queries.community_overview(
            policies.staff_community_ids(user), admin_views.claims_to_verify(user)
        )
        context["can_verify"] = policies.can_see_verification_queue(user)
        return context


@hooks.register("construct_homepage_panels")
def add_community_overview(request, panels):
    panels.insert(0, CommunityOverviewPanel())


@hooks.register("construct_main_menu")
def hide_wagtail_help(request, menu_items):
    """Wagtail's own help and release notes are not for committee members."""
    menu_items[:] = [item for item in menu_items if item.name != "help"]


# ---------------------------------------------------------------------------- polls


@hooks.register("register_admin_viewset")
def register_polls():
    from .poll_admin import PollViewSet

    return PollViewSet()


# ---------------------------------------------------------------------------- topics


class TopicsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("deliberation.view_topic")

    def render_component(self, request):
        waiting = topic_admin.queue_of(request.user).count()
        component = super().render_component(request)
        if waiting:
            component.label = _("%(label)s (%(count)d)") % {"label": self.label, "count": waiting}
        return component


@hooks.register("register_admin_menu_item")
def register_topics_menu_item():
    return TopicsMenuItem(
        gettext_lazy("Topics"),
        reverse("topic_admin:queue"),
        name="topics",
        icon_name="clipboard-list",
        order=170,
    )


@hooks.register("register_admin_urls")
def register_topic_urls():
    return [path("topics/", include((topic_admin.urlpatterns, "topic_admin")))]


@hooks.register("register_admin_viewset")
def register_catalog():
    return topic_admin.CatalogViewSet()


# ---------------------------------------------------------------------------- councils and meetings


class SeatMenuItem(MenuItem):
    """Shown to those whose seats carry `permission`."""

    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def register_meetings_menu_item():
    return SeatMenuItem(
        gettext_lazy("Meetings"),
        reverse("meeting_admin:index"),
        name="meetings",
        icon_name="date",
        order=165,
        permission="deliberation.view_meeting",
    )


@hooks.register("register_admin_menu_item")
def register_councils_menu_item():
    return SeatMenuItem(
        gettext_lazy("Councils"),
        reverse("council_admin:index"),
        name="councils",
        icon_name="group",
        order=166,
        permission="deliberation.view_council",
    )


@hooks.register("register_admin_urls")
def register_meeting_urls():
    return [
        path("meetings/", include((meeting_admin.urlpatterns, "meeting_admin"))),
        path("councils/", include((meeting_admin.council_urlpatterns, "council_admin"))),
    ]


# ---------------------------------------------------------------------------- pacts


@hooks.register("register_admin_menu_item")
def register_pacts_menu_item():
    return SeatMenuItem(
        gettext_lazy("Pacts"),
        reverse("pact_admin:index"),
        name="pacts",
        icon_name="doc-full",
        order=167,
        permission="deliberation.view_pact",
    )


@hooks.register("register_admin_urls")
def register_pact_urls():
    return [path("pacts/", include((pact_admin.urlpatterns, "pact_admin")))]
