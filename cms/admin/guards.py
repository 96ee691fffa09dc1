"""Back office: guards."""
