"""safeguard.risk."""
