from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs) -> None:
    from .roles import sync_all_role_groups

    sync_all_role_groups()


def _provision_catalogs(sender, **kwargs) -> None:
    """Communities that existed before the catalog get the default one."""
    from .models import CatalogEntry, Community
    from .services.catalog import provision_default_catalog

    for community in Community.objects.exclude(pk__in=CatalogEntry.objects.values("community_id")):
        provision_default_catalog(community)


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Deliberation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # checks: deployment checks; receivers: poll listeners.
        from . import checks, home_panels, receivers  # noqa: F401
        from .views import topics

        home_panels.register(topics.home_panel)

        # A change to roles.PERMISSIONS_BY_KIND reaches existing groups at the next migrate.
        post_migrate.connect(_sync_role_groups, sender=self)
        post_migrate.connect(_provision_catalogs, sender=self)
