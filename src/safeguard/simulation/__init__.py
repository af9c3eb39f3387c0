"""safeguard.simulation."""
