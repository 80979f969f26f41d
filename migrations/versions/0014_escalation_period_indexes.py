"""insight: indexes for a crisis's escalations by period (dashboard figures)

Revision ID: 0014_escalation_period_indexes
Revises: 0013_mail_intake
Create Date: 2026-12-04 15:35:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_escalation_period_indexes'
down_revision = '0013_mail_intake'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(
            'ix_escalation_crisis_created', ['crisis_id', 'created_at', 'answered_at'], unique=False
        )
        batch_op.create_index(
            'ix_escalation_crisis_answered', ['crisis_id', 'answered_at', 'created_at'], unique=False
        )
        batch_op.create_index(
            'ix_escalation_crisis_open_deadline', ['crisis_id', 'is_open', 'deadline'], unique=False
        )


def downgrade():
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_crisis_open_deadline')
        batch_op.drop_index('ix_escalation_crisis_answered')
        batch_op.drop_index('ix_escalation_crisis_created')
