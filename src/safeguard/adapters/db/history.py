"""History triggers: the database itself keeps every earlier version of a source record."""

from __future__ import annotations

import sqlalchemy as sa


def _sqlite_json(table: sa.Table, alias: str) -> str:
    parts = ", ".join(f"'{c.name}', {alias}.{c.name}" for c in table.columns)
    return f"json_object({parts})"


def history_trigger_ddl(table: sa.Table, dialect: str) -> list[str]:
    """DDL copying the old row into record_history on UPDATE (content changed) and DELETE."""
    name = table.name
    if dialect == "sqlite":
        ddl = []
        for event, change, cond in (
            ("UPDATE", "update", "WHEN OLD.content_hash <> NEW.content_hash"),
            ("DELETE", "delete", ""),
        ):
            ddl.append(
                f"CREATE TRIGGER trg_{name}_history_{change} BEFORE {event} ON {name} "
                f"FOR EACH ROW {cond} BEGIN "
                "INSERT INTO record_history (table_name, record_id, version, content_hash, "
                "payload, valid_from, superseded_at, change) VALUES "
                f"('{name}', OLD.id, OLD.version, OLD.content_hash, {_sqlite_json(table, 'OLD')}, "
                f"OLD.last_changed_at, strftime('%Y-%m-%d %H:%M:%f', 'now'), '{change}'); END"
            )
        return ddl
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {name}_history() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.content_hash <> NEW.content_hash THEN
    INSERT INTO record_history (table_name, record_id, version, content_hash, payload,
                                valid_from, superseded_at, change)
    VALUES ('{name}', OLD.id, OLD.version, OLD.content_hash, row_to_json(OLD)::text,
            OLD.last_changed_at, (now() AT TIME ZONE 'UTC'), lower(TG_OP));
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER trg_{name}_history BEFORE UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_history()",
        ]
    raise ValueError(f"unsupported database dialect {dialect!r}")


def drop_history_trigger_ddl(table: sa.Table, dialect: str) -> list[str]:
    name = table.name
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS trg_{name}_history_{c}" for c in ("update", "delete")]
    return [
        f"DROP TRIGGER IF EXISTS trg_{name}_history ON {name}",
        f"DROP FUNCTION IF EXISTS {name}_history()",
    ]


def append_only_ddl(table_name: str, dialect: str) -> list[str]:
    """DDL that makes a table refuse UPDATE and DELETE (the audit log is append-only)."""
    msg = f"{table_name} is append-only"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER trg_{table_name}_no_{op.lower()} BEFORE {op} ON {table_name} "
            f"BEGIN SELECT RAISE(ABORT, '{msg}'); END"
            for op in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {table_name}_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{msg}'; END $$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER trg_{table_name}_append_only BEFORE UPDATE OR DELETE ON {table_name} "
            f"FOR EACH ROW EXECUTE FUNCTION {table_name}_append_only()",
        ]
    raise ValueError(f"unsupported database dialect {dialect!r}")


def drop_append_only_ddl(table_name: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS trg_{table_name}_no_{op}" for op in ("update", "delete")]
    return [
        f"DROP TRIGGER IF EXISTS trg_{table_name}_append_only ON {table_name}",
        f"DROP FUNCTION IF EXISTS {table_name}_append_only()",
    ]


def no_truncate_ddl(table_name: str, dialect: str) -> list[str]:
    """DDL that makes PostgreSQL refuse TRUNCATE of a table (row triggers do not see it).
    SQLite has no TRUNCATE: its DELETE without WHERE still meets the row triggers."""
    if dialect != "postgresql":
        return []
    return [
        f"""CREATE OR REPLACE FUNCTION {table_name}_no_truncate() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{table_name} is append-only: TRUNCATE refused'; END $$ LANGUAGE plpgsql""",
        f"CREATE TRIGGER trg_{table_name}_no_truncate BEFORE TRUNCATE ON {table_name} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table_name}_no_truncate()",
    ]


def drop_no_truncate_ddl(table_name: str, dialect: str) -> list[str]:
    if dialect != "postgresql":
        return []
    return [
        f"DROP TRIGGER IF EXISTS trg_{table_name}_no_truncate ON {table_name}",
        f"DROP FUNCTION IF EXISTS {table_name}_no_truncate()",
    ]
