from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from deliberation import home_panels

        from . import receivers
        from .views import notices

        home_panels.register(notices.home_panel)

        post_migrate.connect(receivers.provision_existing_communities, sender=self)
