"""The people search's index: one row per live person (entities of `people` lists) with her
name, toneless pinyin and its initials, ID number and phone digits (reversed, for "ends
with"), village, household, sex, birth date and status, and a row per ending of her Han name
(a part of a name is the start of one), each searched as an index range
(app.register.search); and an index of life events by their other person (a person's
page). Filled here for the register already there, with the same builder the entity writes
use (so `register rebuild --check` finds them equal).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 17:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def _c(length=None):
    plain = sa.String(length) if length else sa.Text()
    return plain.with_variant(sa.String(length, collation="C") if length
                              else sa.Text(collation="C"), "postgresql")


def upgrade():
    op.create_table(
        "person_search",
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("household", sa.String(36), nullable=False),
        sa.Column("name", _c(), nullable=False),
        sa.Column("pinyin", _c(), nullable=False),
        sa.Column("initials", _c(64), nullable=False),
        sa.Column("id_number", sa.String(32)),
        sa.Column("id_reversed", _c(32)),
        sa.Column("phone_reversed", _c(40)),
        sa.Column("sex", sa.String(20), nullable=False),
        sa.Column("dob", sa.Date),
        sa.Column("marital_status", sa.String(40), nullable=False),
        sa.Column("residence_status", sa.String(40), nullable=False),
        sa.Column("pregnant", sa.Boolean, nullable=False),
        sa.Column("deceased", sa.Boolean, nullable=False))
    for name, columns in (("pinyin", ["pinyin", "entity_id", "initials"]),
                          ("area_pinyin", ["area_id", "pinyin", "entity_id", "initials"]),
                          ("initials", ["initials", "pinyin", "entity_id"]), ("name", ["name"]),
                          ("id_reversed", ["id_reversed"]),
                          ("phone_reversed", ["phone_reversed"]),
                          ("household", ["household"])):
        op.create_index(f"ix_person_search_{name}", "person_search", columns)
    op.create_table(
        "person_name_terms",
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), primary_key=True),
        sa.Column("term", _c(), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("pinyin", _c(), nullable=False))
    op.create_index("ix_person_name_terms_term", "person_name_terms",
                    ["term", "project_id", "area_id", "pinyin", "entity_id"])
    # a person's page: the events naming her as the other person (her children's births …)
    op.create_index("ix_life_events_other_person", "life_events", ["other_person"])
    # the builder the entity writes use (a copy here could drift from them)
    from app.register import search
    session = Session(bind=op.get_bind())
    search.fill(session)
    session.flush()


def downgrade():
    op.drop_table("person_name_terms")
    op.drop_index("ix_life_events_other_person", table_name="life_events")
    op.drop_table("person_search")
