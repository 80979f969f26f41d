"""intake: PostgreSQL search on a stored tsvector column instead of an expression index

Revision ID: 0015_stored_search_document
Revises: 0014_escalation_period_indexes
Create Date: 2026-12-04 18:20:00

"""
from alembic import op

from kcc.intake.search_schema import POSTGRES_STORE_DOCUMENT, POSTGRES_UNSTORE_DOCUMENT

# revision identifiers, used by Alembic.
revision = '0015_stored_search_document'
down_revision = '0014_escalation_period_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite keeps its FTS5 table; only PostgreSQL changes.
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRES_STORE_DOCUMENT:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRES_UNSTORE_DOCUMENT:
            op.execute(statement)
