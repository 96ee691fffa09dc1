from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Building, Dwelling, Membership
from .models.places import normalize_entrance
from .services import people


class SignupExtraForm(forms.Form):
    """What allauth's sign-up asks besides the phone number."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=50,
        help_text=_("How neighbours see you, e.g. 王阿姨 or 3号楼小李."),
    )

    def clean_display_name(self) -> str:
        return people.clean_display_name(self.cleaned_data["display_name"])

    def signup(self, request, user) -> None:
        people.set_display_name(user, self.cleaned_data["display_name"])


class BuildingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Building) -> str:
        return f"{obj.compound.community.name} {obj.compound.name} {obj.name}"


class ClaimDwellingForm(forms.Form):
    building = BuildingChoiceField(
        label=_("Building"),
        queryset=Building.objects.select_related("compound__community").order_by(
            "compound__community__name", "compound__name", "name"
        ),
        empty_label=_("Choose your building"),
    )
    entrance = forms.CharField(
        label=_("Entrance"), max_length=20, required=False, help_text=_("e.g. 2 for 2单元")
    )
    number = forms.CharField(label=_("Dwelling number"), max_length=20, help_text=_("e.g. 301"))
    kind = forms.ChoiceField(label=_("You are"), choices=Membership.Kind.choices)

    def clean(self):
        data = super().clean()
        building, number = data.get("building"), (data.get("number") or "").strip()
        if not building or not number:
            return data
        entrance = normalize_entrance(data.get("entrance") or "")
        dwellings = Dwelling.objects.filter(building=building, number=number)
        if entrance:
            dwellings = dwellings.filter(entrance=entrance)
        found = list(dwellings[:2])
        if not found:
            raise forms.ValidationError(
                _("There is no dwelling %(number)s in %(building)s. Check the number and entrance.")
                % {"number": number, "building": building.name}
            )
        if len(found) > 1:
            self.add_error("entrance", _("Several entrances have this number; give yours."))
            return data
        data["dwelling"] = found[0]
        return data


class RejectMembershipForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 3})
    )
