"""integration: e-mail intake (inbound and outbound messages, attachments)

Revision ID: 0013_mail_intake
Revises: 0012_webhooks
Create Date: 2026-12-04 06:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0013_mail_intake'
down_revision = '0012_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
