"""integration: import layouts, import runs, question external key

Revision ID: 0011_import
Revises: 0010_rollup
Create Date: 2026-12-04 06:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0011_import'
down_revision = '0010_rollup'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
