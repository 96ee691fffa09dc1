"""Local rule sets in the back office: a community's own variant, written as data."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from . import services
from .models import LocalRuleSet
from .rules import BUILTIN, RuleSet, RuleSetError


class LocalRuleSetForm(forms.ModelForm):
    class Meta:
        model = LocalRuleSet
        fields = ["name", "label", "data"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in BUILTIN:
            raise forms.ValidationError(
                _("%(name)s is a built-in rule set; choose another name.") % {"name": name}
            )
        return name

    def clean(self):
        data = super().clean()
        if isinstance(data.get("data"), dict) and data.get("name"):
            try:
                RuleSet.from_data(data["name"], {"label": data.get("label", ""), **data["data"]})
            except RuleSetError as error:
                self.add_error("data", str(error))
        elif "data" in data:
            self.add_error("data", _("Write the rule set as a JSON object."))
        return data


class CreateRuleSetView(generic.CreateView):
    def save_instance(self):
        return services.save_local_rule_set(
            self.request.user, self.form.save(commit=False), created=True
        )


class EditRuleSetView(generic.EditView):
    def save_instance(self):
        return services.save_local_rule_set(
            self.request.user, self.form.save(commit=False), created=False
        )


class DeleteRuleSetView(generic.DeleteView):
    def delete_action(self):
        services.delete_local_rule_set(self.request.user, self.object)


class LocalRuleSetViewSet(ModelViewSet):
    """Rule sets are named site-wide, so only superusers write them (no group holds the
    permissions); every change is announced and recorded in the trace."""

    model = LocalRuleSet
    add_view_class = CreateRuleSetView
    edit_view_class = EditRuleSetView
    delete_view_class = DeleteRuleSetView
    icon = "list-ol"
    menu_label = gettext_lazy("Local rule sets")
    add_to_settings_menu = True
    list_display = ["label", "name"]
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return LocalRuleSetForm


@hooks.register("register_admin_viewset")
def register_local_rule_sets():
    return LocalRuleSetViewSet("local_rule_sets")
