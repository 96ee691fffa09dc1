"""Back office: disclosures."""
