"""Claiming dwellings, verifying memberships, and granting roles."""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import broadcast, policies, trace
from ..models import Community, Compound, Dwelling, Membership, Role, User
from ..roles import group_for, sync_group_permissions
from ..sanitize import clean_plain
from ..signals import community_ready
from .catalog import provision_default_catalog

MEMBERSHIP_FIELDS = ["status", "kind", "rejection_reason"]


def claim_dwelling(user: User, dwelling: Dwelling, kind: str) -> Membership:
    """A signed-in person says they live in or own a dwelling; staff will verify it."""
    if kind not in Membership.Kind.values:
        raise ValidationError(_("Choose what you are to this dwelling."))
    if (
        kind in Membership.OWNER_KINDS
        and Membership.objects.filter(
            dwelling=dwelling, kind__in=Membership.OWNER_KINDS, status=Membership.Status.VERIFIED
        )
        .exclude(user=user)
        .exists()
    ):
        raise ValidationError(
            _(
                "This dwelling already has a verified owner. Co-owners vote through one "
                "representative; ask the residents' committee if the record is wrong."
            )
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, dwelling=dwelling, kind=kind)
            trace.record(
                actor=user,
                action="membership.claimed",
                obj=membership,
                after={"dwelling": str(dwelling), "kind": kind, "status": membership.status},
            )
    except IntegrityError:
        raise ValidationError(_("You have already claimed this dwelling.")) from None
    return membership


def _decide(staff: User, membership: Membership, status: str, reason: str) -> Membership:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if not policies.can_verify_membership(staff, membership):
            raise PermissionDenied(_("You may not verify memberships in this community."))
        if membership.status != Membership.Status.PENDING:
            raise ValidationError(
                _("This claim was already decided: %(status)s.")
                % {"status": membership.get_status_display()}
            )
        before = trace.snapshot(membership, MEMBERSHIP_FIELDS)
        owner_verified = status == Membership.Status.VERIFIED and membership.is_owner
        if owner_verified:
            # Lock the dwelling so two verifiers cannot each seat a different owner.
            dwelling = Dwelling.objects.select_for_update().get(pk=membership.dwelling_id)
            if (
                Membership.objects.filter(
                    dwelling=dwelling,
                    kind__in=Membership.OWNER_KINDS,
                    status=Membership.Status.VERIFIED,
                )
                .exclude(pk=membership.pk)
                .exists()
            ):
                raise ValidationError(
                    _(
                        "This dwelling already has a verified owner. Reject this claim, or "
                        "correct the other one first."
                    )
                )
        membership.status = status
        membership.rejection_reason = reason
        membership.decided_by = staff
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
        after = trace.snapshot(membership, MEMBERSHIP_FIELDS)
        if owner_verified:
            before["owner_account"] = dwelling.owner_id
            dwelling.owner = membership.user
            dwelling.save(update_fields=["owner"])
            after["owner_account"] = dwelling.owner_id
        trace.record(
            actor=staff,
            action=f"membership.{status}",
            obj=membership,
            before=before,
            after=after,
        )
        broadcast.on_commit_send(
            broadcast.user_group(membership.user_id),
            {"type": "membership.changed", "id": membership.pk},
        )
    return membership


def verify_membership(staff: User, membership: Membership) -> Membership:
    return _decide(staff, membership, Membership.Status.VERIFIED, "")


def reject_membership(staff: User, membership: Membership, reason: str) -> Membership:
    reason = clean_plain(reason or "")
    if not reason:
        raise ValidationError(_("Give the resident a reason for the rejection."))
    if len(reason) > 200:
        raise ValidationError(_("Keep the reason under 200 characters."))
    return _decide(staff, membership, Membership.Status.REJECTED, reason)


def grant_role(
    granted_by: User | None,
    user: User,
    kind: str,
    community: Community,
    compound: Compound | None = None,
    title: str = "",
) -> Role:
    """Seat a person in a committee; they join the community's group for that role."""
    if kind not in Role.Kind.values:
        raise ValidationError(_("Unknown role."))
    if compound is not None and compound.community_id != community.pk:
        raise ValidationError(_("The compound is not in this community."))
    if granted_by is not None and not policies.can_manage_roles(granted_by, community):
        raise PermissionDenied(_("You may not grant roles in this community."))
    with transaction.atomic():
        group = group_for(community, kind)
        role, created = Role.objects.get_or_create(
            user=user,
            kind=kind,
            community=community,
            compound=compound,
            defaults={"title": title, "group": group},
        )
        if not created:
            return role
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        trace.record(
            actor=granted_by,
            action="role.granted",
            obj=role,
            after={"user": str(user), "kind": kind, "community": community.name, "title": title},
            public=True,
        )
    return role


def revoke_role(revoked_by: User | None, role: Role) -> None:
    if revoked_by is not None and not policies.can_manage_roles(revoked_by, role.community):
        raise PermissionDenied(_("You may not revoke roles in this community."))
    with transaction.atomic():
        user = role.user
        trace.record(
            actor=revoked_by,
            action="role.revoked",
            obj=role,
            before={"user": str(user), "kind": role.kind, "community": role.community.name},
            public=True,
        )
        group = role.group
        role.delete()
        if not Role.objects.filter(user=user, group=group).exists():
            user.groups.remove(group)
        if not user.is_superuser and not Role.objects.filter(user=user).exists():
            user.is_staff = False
            user.save(update_fields=["is_staff"])


def ensure_community_groups(community: Community) -> list[Group]:
    """Create (or refresh) the community's groups and their permissions."""
    groups = []
    for kind in Role.Kind.values:
        group = group_for(community, kind)
        sync_group_permissions(group, kind)
        groups.append(group)
    provision_default_catalog(community)
    community_ready.send(Community, community=community)
    return groups


def clean_display_name(raw: str) -> str:
    """A display name is plain text on one line."""
    name = clean_plain(raw).replace("\n", " ")
    if not name:
        raise ValidationError(_("Enter the name neighbours will see."))
    return name[:50]


def set_display_name(user: User, display_name: str) -> User:
    """How neighbours see a person; chosen at sign-up."""
    name = clean_display_name(display_name)
    with transaction.atomic():
        before = {"display_name": user.display_name}
        user.display_name = name
        user.save(update_fields=["display_name"])
        trace.record(
            actor=user,
            action="user.renamed",
            obj=user,
            before=before,
            after={"display_name": user.display_name},
        )
    return user
