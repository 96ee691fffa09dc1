"""Forms for the resident pages of topics: proposing, discussing, evaluating, reporting,
and the filters of the topic list. The forms check what a browser sends; the services
check the rules again, inside their transactions."""

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from . import queries
from .models import Building, CatalogEntry, Comment, Compound, Membership, Topic
from .services import topics as topic_services

CHOOSE_MATTER = _("Choose a matter from the catalog of your community.")
CHOOSE_SCOPE = _("Choose where the topic applies: a place where your household is.")


def catalog_choices(entries: Iterable[CatalogEntry], *, several_communities: bool) -> list:
    """Entries grouped under their group (and community, when there are several): a
    group that has entries is a heading; one without entries can be chosen itself."""
    entries = list(entries)
    parents_with_children = {e.parent_id for e in entries if e.parent_id}
    groups: dict[int, tuple[str, list]] = {}
    loose: dict[int, tuple[str, list]] = {}
    for entry in entries:
        prefix = f"{entry.community.name} · " if several_communities else ""
        if entry.parent_id is None and entry.pk in parents_with_children:
            groups.setdefault(entry.pk, (f"{prefix}{entry.name}", []))
        elif entry.parent_id is None:
            loose.setdefault(entry.community_id, (prefix + _("Other matters"), []))[1].append(
                (entry.pk, entry.name)
            )
    for entry in entries:
        if entry.parent_id is not None and entry.parent_id in groups:
            groups[entry.parent_id][1].append((entry.pk, entry.name))
    return [*groups.values(), *loose.values()]


def scope_choices(memberships: Iterable[Membership]) -> list[tuple[str, str]]:
    """The places a person may raise a topic for: the community, compound, building and
    entrance of each dwelling where their membership is verified."""
    choices: dict[str, str] = {}
    for membership in memberships:
        dwelling = membership.dwelling
        building = dwelling.building
        compound = building.compound
        community = compound.community
        choices.setdefault(
            topic_services.scope_key(community),
            _("%(place)s (the whole community)") % {"place": community.name},
        )
        choices.setdefault(
            topic_services.scope_key(compound),
            _("%(place)s (the whole compound)") % {"place": compound.name},
        )
        choices.setdefault(
            topic_services.scope_key(building),
            _("%(place)s (the whole building)") % {"place": building},
        )
        if dwelling.entrance:
            entrance = _("entrance %(entrance)s") % {"entrance": dwelling.entrance}
            choices.setdefault(
                topic_services.scope_key(building, dwelling.entrance), f"{building} {entrance}"
            )
    return list(choices.items())


class TopicForm(forms.Form):
    """A draft: which matter of the catalog, where it applies, and what it is about."""

    catalog_entry = forms.TypedChoiceField(
        label=_("Matter"),
        coerce=int,
        help_text=_("Which matter of the consultation catalog the topic belongs to."),
        error_messages={"invalid_choice": CHOOSE_MATTER, "required": CHOOSE_MATTER},
    )
    scope = forms.ChoiceField(
        label=_("Where it applies"),
        help_text=_("The households this concerns: they may co-sign it."),
        error_messages={"invalid_choice": CHOOSE_SCOPE, "required": CHOOSE_SCOPE},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=topic_services.TITLE_MAX,
        help_text=_("e.g. 3号楼2单元加装电梯"),
        error_messages={
            "required": _("Give the topic a title."),
            "max_length": _("Keep the title under %(limit_value)d characters."),
        },
    )
    body = forms.CharField(
        label=_("Description"),
        max_length=topic_services.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What is wrong, and what you propose."),
        error_messages={
            "required": _("Describe the matter: what is wrong and what you propose."),
            "max_length": _("Keep the description under %(limit_value)d characters."),
        },
    )

    def __init__(self, *args, memberships: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        community_ids = {m.dwelling.building.compound.community_id for m in memberships}
        self.entries = {e.pk: e for e in queries.catalog_of(community_ids)}
        self.fields["catalog_entry"].choices = [
            ("", _("Choose a matter")),
            *catalog_choices(self.entries.values(), several_communities=len(community_ids) > 1),
        ]
        self.fields["scope"].choices = [("", _("Choose a place")), *scope_choices(memberships)]

    @classmethod
    def initial_of(cls, topic: Topic) -> dict:
        return {
            "catalog_entry": topic.catalog_entry_id,
            "scope": topic_services.scope_key(topic.place, topic.entrance),
            "title": topic.title,
            "body": topic.body,
        }

    def clean_catalog_entry(self) -> CatalogEntry:
        return self.entries[self.cleaned_data["catalog_entry"]]


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your comment"),
        max_length=topic_services.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Write a comment first."),
            "max_length": _("Keep the comment under %(limit_value)d characters."),
        },
    )
    stance = forms.ChoiceField(
        label=_("Your stance"),
        choices=Comment.Stance.choices,
        initial=Comment.Stance.NEUTRAL,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose support, oppose or neutral."),
            "invalid_choice": _("Choose support, oppose or neutral."),
        },
    )
    parent = forms.IntegerField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("You can only reply to a comment on this topic.")},
    )


class EvaluationForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied is your household with how this was handled?"),
        coerce=int,
        choices=[
            (5, _("5 · very satisfied")),
            (4, _("4 · satisfied")),
            (3, _("3 · so-so")),
            (2, _("2 · dissatisfied")),
            (1, _("1 · very dissatisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a satisfaction from 1 to 5."),
            "invalid_choice": _("Choose a satisfaction from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=topic_services.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Keep the comment under %(limit_value)d characters.")},
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this comment?"),
        max_length=topic_services.REASON_MAX,
        help_text=_("e.g. insults a neighbour, advertising, personal data"),
        error_messages={
            "required": _("Say what is wrong with the comment."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )


def place_choices(compounds: Iterable[Compound], buildings: Iterable[Building]) -> list:
    """Compounds and buildings for the list filter, grouped by community."""
    groups: dict[int, tuple[str, list]] = {}
    for compound in compounds:
        groups.setdefault(compound.community_id, (compound.community.name, []))[1].append(
            (f"compound:{compound.pk}", compound.name)
        )
    for building in buildings:
        community = building.compound.community
        groups.setdefault(community.pk, (community.name, []))[1].append(
            (f"building:{building.pk}", str(building))
        )
    return list(groups.values())


class TopicFilterForm(forms.Form):
    """The topic list's filters. A bad value is reported and that filter left out."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        error_messages={"invalid_choice": _("Choose a status from the list.")},
    )
    entry = forms.TypedChoiceField(
        label=_("Matter"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a matter from the list.")},
    )
    place = forms.ChoiceField(
        label=_("Place"),
        required=False,
        error_messages={"invalid_choice": _("Choose a place from the list.")},
    )

    def __init__(self, *args, entries, compounds, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        entries = list(entries)
        self.fields["status"].choices = [
            ("", _("Any status")),
            *[(s.value, s.label) for s in Topic.Status if s != Topic.Status.DRAFT],
        ]
        groups = []
        by_community: dict[int, list] = {}
        for entry in entries:
            by_community.setdefault(entry.community_id, []).append(entry)
        for community_entries in by_community.values():
            heading = community_entries[0].community.name
            options = []
            for entry in community_entries:
                if entry.parent_id is None:
                    options.append((entry.pk, entry.name))
                    options.extend(
                        (child.pk, f"— {child.name}")
                        for child in community_entries
                        if child.parent_id == entry.pk
                    )
            groups.append((heading, options))
        self.fields["entry"].choices = [("", _("Any matter")), *groups]
        self.fields["place"].choices = [("", _("Anywhere")), *place_choices(compounds, buildings)]

    def filters(self) -> dict:
        """The valid filters as keyword arguments of queries.public_topics."""
        self.is_valid()
        data = self.cleaned_data
        place = None
        if data.get("place"):
            level, pk = data["place"].split(":")
            place = (level, int(pk))
        return {
            "status": data.get("status") or "",
            "catalog_entry": data.get("entry"),
            "place": place,
            "text": data.get("q") or "",
        }
