"""Forms for the resident pages of meetings and the secretary's page: the list's filters,
a comment in the room, a raised hand, registering, the chair's controls, on-site
attendance, an on-site paper ballot and the minutes. The forms check what a browser
sends; the services check the rules again, inside their transactions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from polls.models import RollEntry

from .models import Building, Meeting, Stance
from .services import meetings, room


class MeetingFilterForm(forms.Form):
    """The meeting list's filters. A bad value is reported and that filter left out."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Any kind")), *Meeting.Kind.choices],
        error_messages={"invalid_choice": _("Choose a kind of meeting from the list.")},
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *Meeting.State.choices],
        error_messages={"invalid_choice": _("Choose a state from the list.")},
    )

    def filters(self) -> dict:
        """The valid filters as keyword arguments of queries.meeting_listing."""
        self.is_valid()
        data = self.cleaned_data
        return {"kind": data.get("kind") or "", "state": data.get("state") or ""}


class RoomCommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your comment"),
        max_length=room.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write something first."),
            "max_length": _("Keep the comment under %(limit_value)d characters."),
        },
    )


class RaiseHandForm(forms.Form):
    point_of_order = forms.BooleanField(
        label=_("Point of order (goes before everyone waiting)"), required=False
    )


class RegistrationForm(forms.Form):
    """Signing up to attend; at a hearing, perhaps to speak, with a stance and a written
    statement submitted in advance."""

    wants_to_speak = forms.BooleanField(label=_("I want to speak at the hearing"), required=False)
    stance = forms.ChoiceField(
        label=_("Your stance"),
        required=False,
        choices=Stance.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose for, against or neutral.")},
    )
    statement = forms.CharField(
        label=_("Your written statement"),
        required=False,
        max_length=meetings.STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you will say, in short: the chair and the other speakers read it first."),
        error_messages={"max_length": _("Keep the statement under %(limit_value)d characters.")},
    )

    def __init__(self, *args, hearing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.hearing = hearing
        if not hearing:
            for name in ("wants_to_speak", "stance", "statement"):
                del self.fields[name]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        if not self.hearing:
            return {}
        speaks = bool(data.get("wants_to_speak"))
        return {
            "wants_to_speak": speaks,
            "stance": (data.get("stance") or "") if speaks else "",
            "statement": (data.get("statement") or "") if speaks else "",
        }


CHAIR_ACTIONS = (
    "open",
    "pause",
    "resume",
    "close",
    "next_item",
    "go_item",
    "give_floor",
    "end_floor",
    "open_poll",
    "close_poll",
    "hide_comment",
)


class ChairActionForm(forms.Form):
    """One of the chair's controls; which other fields count depends on the action."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in CHAIR_ACTIONS],
        error_messages={
            "required": _("Choose what to do."),
            "invalid_choice": _("That is not one of the chair's controls."),
        },
    )
    item = forms.IntegerField(
        required=False, error_messages={"invalid": _("Choose an item of the agenda.")}
    )
    request = forms.IntegerField(
        required=False, error_messages={"invalid": _("Choose someone on the list of speakers.")}
    )
    comment = forms.IntegerField(
        required=False, error_messages={"invalid": _("Choose a comment of this meeting.")}
    )
    reason = forms.CharField(
        label=_("Reason, shown in place of the comment"),
        required=False,
        max_length=room.REASON_MAX,
        error_messages={"max_length": _("Keep the reason under %(limit_value)d characters.")},
    )

    def clean(self):
        data = super().clean()
        action = data.get("action")
        needs = {"go_item": "item", "hide_comment": "comment"}.get(action)
        if needs and data.get(needs) is None and needs not in self.errors:
            self.add_error(needs, self.fields[needs].error_messages["invalid"])
        return data


class OnsiteAttendanceForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the person present"),
        max_length=meetings.ATTENDEE_NAME_MAX,
        error_messages={
            "required": _("Write the name of the person who came."),
            "max_length": _("Keep the name under %(limit_value)d characters."),
        },
    )
    building = forms.ModelChoiceField(
        label=_("Building"),
        required=False,
        queryset=Building.objects.none(),
        empty_label=_("Not from a building here"),
        error_messages={"invalid_choice": _("Choose a building from the list.")},
    )

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings


class VoterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, entry: RollEntry) -> str:
        dwellings = "、".join(str(d) for d in entry.dwellings)
        return f"{entry.label} · {dwellings}" if dwellings else entry.label


class OnsiteVoterForm(forms.Form):
    """Whose paper ballot it is, from the poll's roll, and whether it is spoiled. The
    choices on the ballot are read by the polls' BallotForm."""

    voter = VoterChoiceField(
        label=_("Voter"),
        queryset=RollEntry.objects.none(),
        empty_label=_("Choose the voter from the roll"),
        error_messages={
            "required": _("Choose the voter from the roll."),
            "invalid_choice": _("Choose the voter from the roll of this vote."),
        },
    )
    spoiled = forms.BooleanField(label=_("Spoiled ballot"), required=False)

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voter"].queryset = entries


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes"),
        max_length=meetings.MINUTES_MAX,
        widget=forms.Textarea(attrs={"rows": 20}),
        error_messages={
            "required": _("The minutes cannot be empty."),
            "max_length": _("Keep the minutes under %(limit_value)d characters."),
        },
    )
