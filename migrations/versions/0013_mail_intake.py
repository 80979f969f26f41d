"""integration: e-mail intake (inbound and outbound messages, attachments)

Revision ID: 0013_mail_intake
Revises: 0012_webhooks
Create Date: 2026-12-04 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_mail_intake'
down_revision = '0012_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('subject', sa.String(length=250), nullable=False),
    sa.Column('sender_email', sa.String(length=254), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_masked', sa.Text(), nullable=False),
    sa.Column('is_reply', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_mail_message_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_message_message_id'))
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index('ix_mail_message_question_direction', ['question_id', 'direction'], unique=False)

    op.create_table('mail_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mail_message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('refused_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mail_message_id'], ['mail_message.id'], name=op.f('fk_mail_attachment_mail_message_id_mail_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_attachment'))
    )
    with op.batch_alter_table('mail_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_attachment_mail_message_id'), ['mail_message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_attachment_mail_message_id'))

    op.drop_table('mail_attachment')
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_message_question_direction')

    op.drop_table('mail_message')
