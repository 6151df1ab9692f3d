"""Migration 0031 on a database that holds a register: its entities stay as they were,
none merged, and the first merge afterwards works (the entity kept's new version, the
merged one marked)."""
import json
import uuid

from flask_migrate import upgrade
from sqlalchemy import select, text

from app import create_app
from app.db import db as _db
from app.quality import merging
from app.register.models import Dataset, DatasetProperty, Entity
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture


def test_upgrade_to_0031_keeps_the_register_and_a_merge_then_works(empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with app.app_context():
        upgrade(revision="0029")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO datasets (project_id, name, approval_required, revision,"
                           " schema_revision, created_at) VALUES (1, 'people', false, 1, 0,"
                           " CURRENT_TIMESTAMP)"))
            c.execute(text("INSERT INTO dataset_properties (dataset_id, name, position) "
                           "VALUES (1, 'phone', 0), (1, 'full_name', 1)"))
            for u, data in ((a, {"full_name": "王芳", "phone": ""}),
                            (b, {"full_name": "王芳", "phone": "13800000000"})):
                c.execute(text("INSERT INTO entities (dataset_id, uuid, label, version, data,"
                               " force_created, created_at) VALUES (1, :u, '王芳', 1, :d, false,"
                               " CURRENT_TIMESTAMP)"), {"u": u, "d": json.dumps(data)})
                c.execute(text("INSERT INTO entity_versions (entity_id, version, label, data,"
                               " received, source, created_at) SELECT id, 1, '王芳', :d, :d, "
                               "'api', CURRENT_TIMESTAMP FROM entities WHERE uuid = :u"),
                          {"u": u, "d": json.dumps(data)})
        upgrade()
        s = _db.session
        kept = s.scalar(select(Entity).where(Entity.uuid == a))
        merged = s.scalar(select(Entity).where(Entity.uuid == b))
        assert (kept.merged_into_id, merged.merged_into_id) == (None, None)
        dataset = s.get(Dataset, kept.dataset_id)
        assert [p.name for p in dataset.properties] == ["phone", "full_name"]
        merging.merge(s, None, dataset, kept, merged)
        s.commit()
        assert (kept.version, kept.data["phone"]) == (2, "13800000000")
        assert merged.merged_into_id == kept.id and merged.deleted_at is not None
        assert s.scalar(select(DatasetProperty.id).limit(1)) is not None
        s.close()
        _db.engine.dispose()
