"""Views for community (see cms/urls.py)."""
