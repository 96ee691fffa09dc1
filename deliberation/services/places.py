"""Creating and changing communities, compounds, buildings and dwellings."""

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from .. import policies, trace
from ..models import Building, Community, Compound, Dwelling, User
from .people import ensure_community_groups

Place = TypeVar("Place", Community, Compound, Building, Dwelling)


def _plain_fields(instance: models.Model) -> dict[str, Any]:
    """The stored values of an object's editable fields, foreign keys by their id."""
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.editable and not field.primary_key
    }


def save_place(actor: User, instance: Place, *, created: bool) -> Place:
    """Save a place from the back office and trace what changed.

    A new community gets its role groups at once, so seats can be granted right away.
    """
    if not policies.can_save_place(actor, instance, created=created):
        raise PermissionDenied(_("You may not change places in this community."))
    model = type(instance)
    with transaction.atomic():
        if created:
            before: dict[str, Any] = {}
        else:
            stored = model.objects.select_for_update().get(pk=instance.pk)
            if not policies.can_save_place(actor, stored, created=False):
                raise PermissionDenied(_("You may not change places in this community."))
            before = _plain_fields(stored)
        after = _plain_fields(instance)
        changed = [name for name in after if created or before[name] != after[name]]
        if not changed:
            return instance
        instance.save()
        trace.record(
            actor=actor,
            action=f"{model._meta.model_name}.{'created' if created else 'changed'}",
            obj=instance,
            before={name: before[name] for name in changed if name in before},
            after={name: after[name] for name in changed},
            # Dwellings carry the owner of record's name and phone: staff only.
            public=not isinstance(instance, Dwelling),
        )
        if created and isinstance(instance, Community):
            ensure_community_groups(instance)
    return instance
