"""Tables of duplicate finding (app.quality.duplicates).

- `person_match_keys`: each person's cheap blocking keys (village and birth year; folded
  surname and birth date), written with the entity, so the check at create is index lookups.
- `duplicate_pairs`: one row per unordered pair of people the matcher banded (uuids, the
  smaller first), with its score, band, evidence and status. Derived: rebuilt the same from
  the register and the decisions.
- `duplicate_decisions`: what a supervisor decided about a pair (not a duplicate, merged,
  open again), keyed by the two uuids: an input, kept across batch runs and rebuilds.
"""
from app.db import db
from app.db.columns import JSONType, utcnow

STATUSES = ("open", "dismissed", "merged")


class PersonMatchKey(db.Model):
    __tablename__ = "person_match_keys"
    __table_args__ = (
        db.Index("ix_person_match_keys_village_year", "dataset_id", "village", "birth_year"),
        db.Index("ix_person_match_keys_surname_dob", "dataset_id", "surname", "dob"),
        db.Index("ix_person_match_keys_household", "dataset_id", "household"),
    )
    entity_id = db.Column(db.ForeignKey("entities.id"), primary_key=True)
    dataset_id = db.Column(db.ForeignKey("datasets.id"), nullable=False)
    #: the `village` property (the code), '' when none
    village = db.Column(db.String(64), nullable=False, default="")
    birth_year = db.Column(db.Integer)
    dob = db.Column(db.Date)
    #: the surname's toneless pinyin with common confusions folded (app.quality.matching.sound)
    surname = db.Column(db.String(32), nullable=False, default="")
    #: the household entity's uuid ('' when none)
    household = db.Column(db.String(36), nullable=False, default="")


class DuplicatePair(db.Model):
    __tablename__ = "duplicate_pairs"
    __table_args__ = (
        db.UniqueConstraint("a_uuid", "b_uuid"),
        # the list's order (best score first) within a project and status
        db.Index("ix_duplicate_pairs_list", "project_id", "status", "score", "id"),
        db.Index("ix_duplicate_pairs_a", "a_id"),
        db.Index("ix_duplicate_pairs_b", "b_id"),
        db.Index("ix_duplicate_pairs_b_uuid", "b_uuid"),
        db.Index("ix_duplicate_pairs_dataset", "dataset_id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    dataset_id = db.Column(db.ForeignKey("datasets.id"), nullable=False)
    #: the pair's entities, a_uuid < b_uuid
    a_id = db.Column(db.ForeignKey("entities.id"), nullable=False)
    b_id = db.Column(db.ForeignKey("entities.id"), nullable=False)
    a_uuid = db.Column(db.String(36), nullable=False)
    b_uuid = db.Column(db.String(36), nullable=False)
    a_area_id = db.Column(db.ForeignKey("areas.id"))
    b_area_id = db.Column(db.ForeignKey("areas.id"))
    score = db.Column(db.Float, nullable=False)
    #: "likely" or "possible"
    band = db.Column(db.String(10), nullable=False)
    #: {field: level}: what agreed and what differed (app.quality.matching.levels)
    evidence = db.Column(JSONType, nullable=False, default=dict)
    #: "open", "dismissed" or "merged": the pair's decision, "open" without one
    status = db.Column(db.String(10), nullable=False, default="open")
    decided_by = db.Column(db.Integer)
    decided_at = db.Column(db.DateTime)


class DuplicateDecision(db.Model):
    __tablename__ = "duplicate_decisions"
    __table_args__ = (db.UniqueConstraint("a_uuid", "b_uuid"),
                      db.Index("ix_duplicate_decisions_b", "b_uuid"))
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    a_uuid = db.Column(db.String(36), nullable=False)
    b_uuid = db.Column(db.String(36), nullable=False)
    status = db.Column(db.String(10), nullable=False)
    decided_by = db.Column(db.Integer)
    decided_at = db.Column(db.DateTime, nullable=False, default=utcnow)
