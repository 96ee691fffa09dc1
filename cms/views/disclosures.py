"""Views for disclosures (see cms/urls.py)."""
