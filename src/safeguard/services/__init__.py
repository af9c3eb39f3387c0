"""Use cases: verbs that take an engine (or unit of work) and a keyword-only actor."""
