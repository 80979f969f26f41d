"""integration: webhooks and their deliveries

Revision ID: 0012_webhooks
Revises: 0011_import
Create Date: 2026-12-04 06:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0012_webhooks'
down_revision = '0011_import'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
