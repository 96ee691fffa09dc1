"""What deliberation tells the apps above it (cms), which it may not import."""

from django.dispatch import Signal

# Sent inside the transaction that created or refreshed a community's groups, with
# `community`: the site gives the community its pages and approval workflow.
community_ready = Signal()

# Sent inside the transaction that adopted a pact's version, with `pact` and `version`:
# the site publishes the adopted text under the community's pacts index.
pact_adopted = Signal()
