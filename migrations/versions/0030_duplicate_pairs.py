"""Duplicate people (issue 23): `person_match_keys` (each person's blocking keys: village and
birth year, folded surname and birth date, household), `duplicate_pairs` (each pair the
matcher banded, with its score, band, evidence and status) and `duplicate_decisions` (a
supervisor's decision on a pair, kept by its two uuids). They replace
`entity_duplicate_candidates` (pairs sharing an ID number): the register already there is
matched again here by the batch (app.quality.duplicates.recompute, the code the checks at
each write agree with), which finds every such pair the matcher bands; how many of the old
table's pairs it did not band is logged, and the old table is dropped.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 00:00:00

"""
import logging

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    op.create_table(
        "person_match_keys",
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("village", sa.String(64), nullable=False),
        sa.Column("birth_year", sa.Integer),
        sa.Column("dob", sa.Date),
        sa.Column("surname", sa.String(32), nullable=False),
        sa.Column("household", sa.String(36), nullable=False))
    op.create_index("ix_person_match_keys_village_year", "person_match_keys",
                    ["dataset_id", "village", "birth_year"])
    op.create_index("ix_person_match_keys_surname_dob", "person_match_keys",
                    ["dataset_id", "surname", "dob"])
    op.create_index("ix_person_match_keys_household", "person_match_keys",
                    ["dataset_id", "household"])
    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("a_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("b_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("a_uuid", sa.String(36), nullable=False),
        sa.Column("b_uuid", sa.String(36), nullable=False),
        sa.Column("a_area_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("b_area_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.String(10), nullable=False),
        sa.Column("evidence", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.Integer),
        sa.Column("decided_at", sa.DateTime),
        sa.UniqueConstraint("a_uuid", "b_uuid", name="uq_duplicate_pairs_a_uuid_b_uuid"))
    for name, columns in (("list", ["project_id", "status", "score", "id"]), ("a", ["a_id"]),
                          ("b", ["b_id"]), ("b_uuid", ["b_uuid"]),
                          ("dataset", ["dataset_id"])):
        op.create_index(f"ix_duplicate_pairs_{name}", "duplicate_pairs", columns)
    op.create_table(
        "duplicate_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("a_uuid", sa.String(36), nullable=False),
        sa.Column("b_uuid", sa.String(36), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.Integer),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("a_uuid", "b_uuid", name="uq_duplicate_decisions_a_uuid_b_uuid"))
    op.create_index("ix_duplicate_decisions_b", "duplicate_decisions", ["b_uuid"])

    bind = op.get_bind()
    old = bind.execute(sa.text(
        "SELECT a.uuid, b.uuid FROM entity_duplicate_candidates c"
        " JOIN entities a ON a.id = c.entity_id JOIN entities b ON b.id = c.other_id"
        " WHERE c.entity_id < c.other_id")).all()
    # the batch the writes agree with (a copy here could drift from them)
    from app.quality import duplicates
    session = Session(bind=bind)
    for (project_id,) in bind.execute(sa.text("SELECT id FROM projects")).all():
        totals = duplicates.recompute(session, project_id)
        log.info("project %s: %s people matched, %s duplicate pairs (%s likely)", project_id,
                 totals["people"], totals["pairs"], totals["likely"])
    session.flush()
    found = {tuple(r) for r in bind.execute(sa.text(
        "SELECT a_uuid, b_uuid FROM duplicate_pairs")).all()}
    dropped = sum(1 for a, b in old if tuple(sorted((a, b))) not in found)
    log.info("%s of %s pairs sharing an ID number found again; %s below the matcher's bands",
             len(old) - dropped, len(old), dropped)
    op.drop_table("entity_duplicate_candidates")


def downgrade():
    op.create_table(
        "entity_duplicate_candidates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("other_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("value", sa.String(100)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("entity_id", "other_id",
                            name="uq_entity_duplicate_candidates_entity_id_other_id"))
    op.create_index("ix_entity_duplicate_candidates_entity_id", "entity_duplicate_candidates",
                    ["entity_id"])
    op.drop_table("duplicate_decisions")
    op.drop_table("duplicate_pairs")
    op.drop_table("person_match_keys")
