"""cms listens to deliberation: every community gets its pages as soon as it exists."""

from django.dispatch import receiver

from deliberation.signals import community_ready

from . import services


@receiver(community_ready)
def give_community_its_pages(sender, community, **kwargs):
    services.provision_community(community)


def provision_existing_communities(sender, **kwargs):
    """After migrating, communities made before cms had pages get theirs."""
    from deliberation.models import Community

    for community in Community.objects.all():
        services.provision_community(community)
