"""The interchange schema (versioned JSON Schema files) and what it says about each record type."""
