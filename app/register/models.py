"""Datasets (entity lists such as households, people, pregnancies) and their entities, shaped
like ODK Central's Entities.

`revision` on a dataset moves on every change to it (an entity created, updated, deleted or
restored, a property added): the manifest hash phones compare is derived from it, so it must
change exactly when the list does (checklist item 22).
"""
from app.db import db
from app.db.columns import JSONType, utcnow
from app.events.models import LifeEvent


class Dataset(db.Model):
    __tablename__ = "datasets"
    __table_args__ = (db.UniqueConstraint("project_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    #: creates from submissions wait for approval; phones get type="approvalEntityList"
    approval_required = db.Column(db.Boolean, nullable=False, default=False)
    revision = db.Column(db.Integer, nullable=False, default=0)
    #: moves when the list's columns change (a property added): every phone's hash moves
    schema_revision = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    properties = db.relationship("DatasetProperty", order_by="DatasetProperty.position",
                                 lazy="selectin", cascade="all, delete-orphan")


class DatasetProperty(db.Model):
    __tablename__ = "dataset_properties"
    __table_args__ = (db.UniqueConstraint("dataset_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    dataset_id = db.Column(db.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    #: column order in the CSV served to phones
    position = db.Column(db.Integer, nullable=False)
    #: when it joined the list (Central's publishedAt). Deferred, and set by its two writers
    #: (a form's publish, the API): migrations older than 0029 load lists through this model
    published_at = db.deferred(db.Column(db.DateTime))


class Entity(db.Model):
    __tablename__ = "entities"
    __table_args__ = (db.Index("ix_entities_dataset_area", "dataset_id", "area_id"),
                      db.Index("ix_entities_dataset_id_number", "dataset_id", "id_number"),
                      # the few flagged with a conflict (the console's conflicts queue)
                      db.Index("ix_entities_conflict", "conflict", "area_id",
                               postgresql_where=db.text("conflict IS NOT NULL"),
                               sqlite_where=db.text("conflict IS NOT NULL")))
    id = db.Column(db.Integer, primary_key=True)
    dataset_id = db.Column(db.ForeignKey("datasets.id"), nullable=False)
    #: lower-case UUID without the uuid: prefix, as Central stores it
    uuid = db.Column(db.String(36), nullable=False, unique=True)
    label = db.Column(db.Text, nullable=False, default="")
    version = db.Column(db.Integer, nullable=False, default=1)
    #: property name -> string value
    data = db.Column(JSONType, nullable=False, default=dict)
    #: the `id_number` property, trimmed and upper-cased (None when blank): indexed, so finding
    #: the people who share a resident ID number is a lookup, not a scan of every row's JSON
    id_number = db.Column(db.String(32))
    area_id = db.Column(db.ForeignKey("areas.id"))
    #: None, "soft" or "hard"
    conflict = db.Column(db.String(4))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)
    deleted_at = db.Column(db.DateTime)
    #: a purged entity keeps only this tombstone, so phones learn it is gone (integrity API)
    purged_at = db.Column(db.DateTime)
    #: made by a forced backlog update before its real create arrived (that create then
    #: applies as an update, as in Central)
    force_created = db.Column(db.Boolean, nullable=False, default=False,
                              server_default=db.false())
    #: the entity this duplicate was merged into (app.quality.merging); a merged entity is
    #: also marked deleted, so every reader of live rows leaves it out, but it is never purged.
    #: Deferred: migrations older than 0031 load entities through this model (the merge's
    #: update path and the rebuild's snapshot undefer it)
    merged_into_id = db.deferred(db.Column(db.ForeignKey("entities.id"), index=True))


class EntityVersion(db.Model):
    """One applied change: the entity's label and data after it, what was received, where it
    came from (a submission version, an API call, a forced backlog item), and the offline
    branch facts and conflict it was judged with. (entity, version) is unique: two workers can
    never both write version N."""
    __tablename__ = "entity_versions"
    __table_args__ = (db.UniqueConstraint("entity_id", "version"),
                      db.Index("ix_entity_versions_branch", "branch_id", "branch_base_version"))
    id = db.Column(db.Integer, primary_key=True)
    entity_id = db.Column(db.ForeignKey("entities.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    label = db.Column(db.Text, nullable=False, default="")
    data = db.Column(JSONType, nullable=False, default=dict)
    #: the properties (and label, under "label") this change set, as received
    received = db.Column(JSONType, nullable=False, default=dict)
    base_version = db.Column(db.Integer)
    branch_id = db.Column(db.String(36))
    trunk_version = db.Column(db.Integer)
    #: the baseVersion the device sent (its position on the offline branch)
    branch_base_version = db.Column(db.Integer)
    #: None, "soft" or "hard": how this change met the server's state
    conflict = db.Column(db.String(4))
    conflicting_properties = db.Column(JSONType)
    #: "submission", "api" or "backlog" (a forced, timed-out offline update)
    source = db.Column(db.String(12), nullable=False)
    submission_id = db.Column(db.ForeignKey("submissions.id"), index=True)
    submission_def_id = db.Column(db.ForeignKey("submission_defs.id"))
    actor_kind = db.Column(db.String(20))
    actor_id = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class EntityBacklog(db.Model):
    """A submission held because an offline update's predecessor has not arrived yet: keyed by
    the branch and the baseVersion it waits for (or the entity, for an offline create)."""
    __tablename__ = "entity_backlog"
    __table_args__ = (db.Index("ix_entity_backlog_key", "branch_id", "base_version"),
                      db.Index("ix_entity_backlog_entity", "entity_uuid"))
    id = db.Column(db.Integer, primary_key=True)
    submission_id = db.Column(db.ForeignKey("submissions.id"), nullable=False, unique=True)
    submission_def_id = db.Column(db.ForeignKey("submission_defs.id"), nullable=False)
    entity_uuid = db.Column(db.String(36), nullable=False)
    branch_id = db.Column(db.String(36))
    base_version = db.Column(db.Integer)
    held_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class EntityMerge(db.Model):
    """One merge of a duplicate (`merged`) into the entity kept (`kept`), and its unmerge: what
    the merge changed, so that an unmerge puts back exactly that (app.quality.merging)."""
    __tablename__ = "entity_merges"
    __table_args__ = (db.Index("ix_entity_merges_kept", "kept_id"),
                      db.Index("ix_entity_merges_merged", "merged_id"))
    id = db.Column(db.Integer, primary_key=True)
    dataset_id = db.Column(db.ForeignKey("datasets.id"), nullable=False)
    kept_id = db.Column(db.ForeignKey("entities.id"), nullable=False)
    merged_id = db.Column(db.ForeignKey("entities.id"), nullable=False)
    #: the kept entity's version before the merge and the version the merge wrote
    kept_version_before = db.Column(db.Integer, nullable=False)
    kept_version_after = db.Column(db.Integer, nullable=False)
    #: the merged entity's version when it was merged (a late update's base is judged by it)
    merged_version = db.Column(db.Integer, nullable=False)
    #: {property: "kept"|"merged"} as asked (label included)
    picks = db.Column(JSONType, nullable=False, default=dict)
    #: [[entity uuid, property]] of the references the merge pointed from merged to kept
    references = db.Column(JSONType, nullable=False, default=list)
    actor_kind = db.Column(db.String(20))
    actor_id = db.Column(db.Integer)
    merged_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    unmerged_at = db.Column(db.DateTime)

    kept = db.relationship("Entity", foreign_keys=[kept_id], lazy="joined")


class AreaRevision(db.Model):
    """How often the rows of one village in one list changed: a phone's list hash is made of
    the revisions of her villages only, so a change in another village leaves it alone."""
    __tablename__ = "dataset_area_revisions"
    __table_args__ = (db.UniqueConstraint("dataset_id", "area_key"),)
    id = db.Column(db.Integer, primary_key=True)
    dataset_id = db.Column(db.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    #: the area id, or 0 for rows without a village
    area_key = db.Column(db.Integer, nullable=False)
    revision = db.Column(db.Integer, nullable=False, default=0)


class RegisterEvent(db.Model):
    """The register's journal: every change to it, in the order it happened (a submission
    merged, forced from the backlog, approved; an API create, update, delete, restore).
    `flask register rebuild` replays it through the same code into a scratch copy."""
    __tablename__ = "register_events"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    #: "submission", "backlog.force", "api.create", "api.update", "api.resolve", "delete",
    #: "restore", "purge", "merge", "unmerge" (app.quality.merging)
    kind = db.Column(db.String(20), nullable=False)
    submission_def_id = db.Column(db.ForeignKey("submission_defs.id"))
    dataset_id = db.Column(db.ForeignKey("datasets.id"))
    entity_uuid = db.Column(db.String(36))
    payload = db.Column(JSONType)
    actor_kind = db.Column(db.String(20))
    actor_id = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


def _c_text(length=None):
    """Text compared byte by byte on PostgreSQL too (COLLATE "C"), as SQLite's BINARY does: a
    prefix match is then an index range (x >= 'wang' AND x < 'wanh') and the same order on
    both databases."""
    plain = db.String(length) if length else db.Text()
    return plain.with_variant(db.String(length, collation="C") if length
                              else db.Text(collation="C"), "postgresql")


class PersonSearch(db.Model):
    """The people search's index (app.register.search): one row per live entity of a `people`
    list, written in the same transaction as the entity, with what a supervisor types or
    filters on, normalised. Digits are also kept reversed, so "the number ends with 1123" is
    a prefix range on an index too."""
    __tablename__ = "person_search"
    __table_args__ = (
        # the list's order, holding the initials a pinyin query also compares
        db.Index("ix_person_search_pinyin", "pinyin", "entity_id", "initials"),
        db.Index("ix_person_search_area_pinyin", "area_id", "pinyin", "entity_id", "initials"),
        db.Index("ix_person_search_initials", "initials", "pinyin", "entity_id"),
        db.Index("ix_person_search_name", "name"),
        db.Index("ix_person_search_id_reversed", "id_reversed"),
        db.Index("ix_person_search_phone_reversed", "phone_reversed"),
        db.Index("ix_person_search_household", "household"),
    )
    entity_id = db.Column(db.ForeignKey("entities.id"), primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    area_id = db.Column(db.ForeignKey("areas.id"))
    #: the household entity's uuid ('' when none)
    household = db.Column(db.String(36), nullable=False, default="")
    #: the Han name, NFKC, without spaces
    name = db.Column(_c_text(), nullable=False, default="")
    #: toneless pinyin of the name, lower case, no spaces (王小梅 → wangxiaomei; ü as v)
    pinyin = db.Column(_c_text(), nullable=False, default="")
    #: first letters of its syllables (wxm)
    initials = db.Column(_c_text(64), nullable=False, default="")
    #: the resident ID number as entities.id_number keeps it, and reversed
    id_number = db.Column(db.String(32))
    id_reversed = db.Column(_c_text(32))
    #: the phone's digits, reversed
    phone_reversed = db.Column(_c_text(40))
    sex = db.Column(db.String(20), nullable=False, default="")
    dob = db.Column(db.Date)
    marital_status = db.Column(db.String(40), nullable=False, default="")
    residence_status = db.Column(db.String(40), nullable=False, default="")
    pregnant = db.Column(db.Boolean, nullable=False, default=False)
    deceased = db.Column(db.Boolean, nullable=False, default=False)


class PersonNameTerm(db.Model):
    """Each ending of a person's Han name (王小梅, 小梅, 梅), so a part of a name is the start
    of one of them: an index range, not a scan of every name (in the list's order, a scan
    reads much of the town before a match: docs/register.md). Carries what a name search
    without filters needs besides (village, pinyin order), so the index alone answers it."""
    __tablename__ = "person_name_terms"
    __table_args__ = (db.Index("ix_person_name_terms_term", "term", "project_id", "area_id",
                               "pinyin", "entity_id"),)
    entity_id = db.Column(db.ForeignKey("entities.id"), primary_key=True)
    term = db.Column(_c_text(), primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    area_id = db.Column(db.ForeignKey("areas.id"))
    pinyin = db.Column(_c_text(), nullable=False)


# A person's page reads the life events that name her as the other person (her children's
# births, a marriage recorded on her husband's row): indexed like `person` (app.events.models
# indexes that one); declared here, with the people search, whose migration (0021) makes it.
db.Index("ix_life_events_other_person", LifeEvent.__table__.c.other_person)
