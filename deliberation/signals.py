"""What deliberation tells the apps above it (cms), which it may not import."""

from django.dispatch import Signal

# Sent inside the transaction that created or refreshed a community's groups, with
# `community`: the site gives the community its pages and approval workflow.
community_ready = Signal()
