"""Back-office pieces of the community pages, one module per concern."""
