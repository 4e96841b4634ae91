"""Read models: ideas, experiments, metrics, ethics reviews, histories, full-text search.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:36:40.664640
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import innovation.store.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ethics_reviews_view",
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("reviewers", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "version", name=op.f("pk_ethics_reviews_view")),
    )
    op.create_table(
        "experiments_view",
        sa.Column("experiment_id", sa.String(length=64), nullable=False),
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("hypothesis", sa.Text(), nullable=False),
        sa.Column("pilot_site", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "concluded_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", name=op.f("pk_experiments_view")),
    )
    with op.batch_alter_table("experiments_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_view_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_experiments_view_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_experiments_view_status"), ["status"], unique=False)

    op.create_table(
        "idea_scores_view",
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("effort", sa.Float(), nullable=False),
        sa.Column("strategic_fit", sa.Integer(), nullable=False),
        sa.Column("rice", sa.Float(), nullable=False),
        sa.Column("scored_by", sa.String(length=200), nullable=False),
        sa.Column("scored_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "version", name=op.f("pk_idea_scores_view")),
    )
    op.create_table(
        "idea_themes_view",
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("theme", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "theme", name=op.f("pk_idea_themes_view")),
    )
    with op.batch_alter_table("idea_themes_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_themes_view_theme"), ["theme"], unique=False)

    op.create_table(
        "ideas_view",
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("uses_ai", sa.Boolean(), nullable=False),
        sa.Column("uses_personal_data", sa.Boolean(), nullable=False),
        sa.Column("scout", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "submitted_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "stage_changed_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("effort", sa.Float(), nullable=True),
        sa.Column("strategic_fit", sa.Integer(), nullable=True),
        sa.Column("rice", sa.Float(), nullable=True),
        sa.Column("scored_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("running_experiment_id", sa.String(length=64), nullable=True),
        sa.Column("experiment_count", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("validated_via", sa.String(length=20), nullable=True),
        sa.Column("validation_reason", sa.Text(), nullable=True),
        sa.Column("release_id", sa.String(length=64), nullable=True),
        sa.Column("ethics_status", sa.String(length=20), nullable=False),
        sa.Column("ethics_requested", sa.Boolean(), nullable=False),
        sa.Column("ethics_verdict", sa.String(length=20), nullable=True),
        sa.Column("ethics_verdict_version", sa.Integer(), nullable=False),
        sa.Column("last_material_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", name=op.f("pk_ideas_view")),
    )
    with op.batch_alter_table("ideas_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ideas_view_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ideas_view_source_kind"), ["source_kind"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ideas_view_stage"), ["stage"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ideas_view_submitted_at"), ["submitted_at"], unique=False
        )

    op.create_table(
        "measurements_view",
        sa.Column("experiment_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column(
            "measured_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "recorded_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("experiment_id", "version", name=op.f("pk_measurements_view")),
    )
    with op.batch_alter_table("measurements_view", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measurements_view_experiment_id_metric_measured_at"),
            ["experiment_id", "metric", "measured_at"],
            unique=False,
        )

    op.create_table(
        "metrics_view",
        sa.Column("experiment_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("latest_value", sa.Float(), nullable=True),
        sa.Column(
            "latest_measured_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("change_pct", sa.Float(), nullable=True),
        sa.Column("target_met", sa.Boolean(), nullable=False),
        sa.Column("measurement_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "name", name=op.f("pk_metrics_view")),
    )
    op.create_table(
        "stage_history_view",
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("experiment_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "version", name=op.f("pk_stage_history_view")),
    )
    with op.batch_alter_table("stage_history_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_history_view_at"), ["at"], unique=False)

    _create_search()


def downgrade() -> None:
    _drop_search()
    with op.batch_alter_table("stage_history_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_history_view_at"))

    op.drop_table("stage_history_view")
    op.drop_table("metrics_view")
    with op.batch_alter_table("measurements_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurements_view_experiment_id_metric_measured_at"))

    op.drop_table("measurements_view")
    with op.batch_alter_table("ideas_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideas_view_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_ideas_view_stage"))
        batch_op.drop_index(batch_op.f("ix_ideas_view_source_kind"))
        batch_op.drop_index(batch_op.f("ix_ideas_view_country"))

    op.drop_table("ideas_view")
    with op.batch_alter_table("idea_themes_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_themes_view_theme"))

    op.drop_table("idea_themes_view")
    op.drop_table("idea_scores_view")
    with op.batch_alter_table("experiments_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_view_status"))
        batch_op.drop_index(batch_op.f("ix_experiments_view_started_at"))
        batch_op.drop_index(batch_op.f("ix_experiments_view_idea_id"))

    op.drop_table("experiments_view")
    op.drop_table("ethics_reviews_view")


def _create_search() -> None:
    """Full-text search of ideas, in each database's own facility (see projections/search.py)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE ideas_fts USING fts5("
            "idea_id UNINDEXED, title, summary, tokenize = 'porter unicode61')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_ideas_view_search ON ideas_view "
            "USING gin (to_tsvector('english', title || ' ' || summary))"
        )


def _drop_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS ideas_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_ideas_view_search")
