"""Views for notices (see cms/urls.py)."""
