from django.db import models
from django.utils.translation import gettext_lazy as _

from ..texts import page_text


class SearchTextMixin(models.Model):
    """Keeps a plain-text copy of the published content, so that search can look for
    any substring (Chinese has no spaces for a full-text index to split words at)."""

    search_text = models.TextField(_("searchable text"), blank=True, editable=False)
    search_text_fields: list[str] = []

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # Saving a draft revision updates a few bookkeeping columns only: the searchable
        # copy follows the content that is actually saved on the page row (the live one).
        if update_fields is None or "search_text" in update_fields:
            self.search_text = page_text(self, self.search_text_fields)
        return super().save(*args, **kwargs)
