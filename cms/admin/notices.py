"""Back office: notices."""
