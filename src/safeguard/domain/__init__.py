"""Pure domain core: value objects, vocabularies and invariants. No I/O, no frameworks."""
