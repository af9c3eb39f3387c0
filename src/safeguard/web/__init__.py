"""safeguard.web."""
