"""The back office for community pages. Each concern registers its own hooks in its
module under cms/admin/; importing them here is what makes Wagtail see them."""

from .admin import disclosures, guards, notices, pacts  # noqa: F401
