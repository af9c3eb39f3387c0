"""person search: two-column name indexes serving both words of "j smit"

The single-column indexes on lower(surname) and lower(forenames) are replaced by
(lower(surname), lower(forenames)) and (lower(forenames), lower(surname)): their leading column
serves a one-word search as before, and a two-word search checks the other word in the index's
entries instead of reading every row whose surname starts with the longer word.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURNAME = sa.text("lower(surname)")
FORENAMES = sa.text("lower(forenames)")


def upgrade() -> None:
    op.create_index(
        "ix_person_mentions_lower_surname_forenames", "person_mentions", [SURNAME, FORENAMES]
    )
    op.create_index(
        "ix_person_mentions_lower_forenames_surname", "person_mentions", [FORENAMES, SURNAME]
    )
    op.drop_index("ix_person_mentions_lower_surname", table_name="person_mentions")
    op.drop_index("ix_person_mentions_lower_forenames", table_name="person_mentions")


def downgrade() -> None:
    op.create_index("ix_person_mentions_lower_forenames", "person_mentions", [FORENAMES])
    op.create_index("ix_person_mentions_lower_surname", "person_mentions", [SURNAME])
    op.drop_index("ix_person_mentions_lower_forenames_surname", table_name="person_mentions")
    op.drop_index("ix_person_mentions_lower_surname_forenames", table_name="person_mentions")
