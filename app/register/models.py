"""Datasets (entity lists such as households, people, pregnancies) and their entities, shaped
like ODK Central's Entities.

`revision` on a dataset moves on every change to it (an entity created, updated, deleted or
restored, a property added): the manifest hash phones compare is derived from it, so it must
change exactly when the list does (checklist item 22).
"""
from app.extensions import db
from app.models_base import JSONType, utcnow


class Dataset(db.Model):
    __tablename__ = "datasets"
    __table_args__ = (db.UniqueConstraint("project_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    #: creates from submissions wait for approval; phones get type="approvalEntityList"
    approval_required = db.Column(db.Boolean, nullable=False, default=False)
    revision = db.Column(db.Integer, nullable=False, default=0)
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


class Entity(db.Model):
    __tablename__ = "entities"
    __table_args__ = (db.Index("ix_entities_dataset_area", "dataset_id", "area_id"),)
    id = db.Column(db.Integer, primary_key=True)
    dataset_id = db.Column(db.ForeignKey("datasets.id"), nullable=False)
    #: lower-case UUID without the uuid: prefix, as Central stores it
    uuid = db.Column(db.String(36), nullable=False, unique=True)
    label = db.Column(db.Text, nullable=False, default="")
    version = db.Column(db.Integer, nullable=False, default=1)
    #: property name -> string value
    data = db.Column(JSONType, nullable=False, default=dict)
    area_id = db.Column(db.ForeignKey("areas.id"))
    #: None, "soft" or "hard"
    conflict = db.Column(db.String(4))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)
    deleted_at = db.Column(db.DateTime)
    #: a purged entity keeps only this tombstone, so phones learn it is gone (integrity API)
    purged_at = db.Column(db.DateTime)
