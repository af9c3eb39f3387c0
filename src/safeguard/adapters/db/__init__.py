"""Relational storage: SQLite by default, PostgreSQL in production, one schema for both."""
