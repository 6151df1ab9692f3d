"""A project is a town; its areas are the villages every record and every person belongs to."""
from app.db import db
from app.db.columns import utcnow


class Project(db.Model):
    __tablename__ = "projects"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    #: the town's time zone: the day a submission was filled, when its form records no end time
    time_zone = db.Column(db.String(64), nullable=False, default="Asia/Shanghai",
                          server_default="Asia/Shanghai")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class Area(db.Model):
    """A village (or a women's group inside one). `code` is what forms store."""
    __tablename__ = "areas"
    __table_args__ = (db.UniqueConstraint("project_id", "code"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    code = db.Column(db.String(64), nullable=False)
    name_zh = db.Column(db.String(200), nullable=False, default="")
    name_en = db.Column(db.String(200), nullable=False, default="")
