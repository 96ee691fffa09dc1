"""Forms for the resident pages of topics."""
