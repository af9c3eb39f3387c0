"""safeguard: one history per person, consistent risk assessment, assured procedures."""

__version__ = "0.1.0"
