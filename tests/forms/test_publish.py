"""Publishing rules: versions accumulate, identical is a no-op, a reused version is refused."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.forms.models import FormVersion
from app.problems import Problem
from tests.factories import make_xform


def xlsform(rows, settings=None):
    """An XLSForm workbook from survey rows [(type, name, label), ...]."""
    wb = openpyxl.Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    for row in rows:
        survey.append(list(row))
    if settings:
        sheet = wb.create_sheet("settings")
        sheet.append(list(settings))
        sheet.append(list(settings.values()))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def versions(db):
    return db.session.scalar(select(func.count()).select_from(FormVersion))


def test_republishing_identical_form_is_a_no_op(publish, db):
    assert publish(make_xform("f", "1")).outcome == "created"
    assert publish(make_xform("f", "1")).outcome == "unchanged"
    assert versions(db) == 1


def test_new_version_keeps_the_old_one(publish, db):
    publish(make_xform("f", "1"))
    result = publish(make_xform("f", "2", fields=("a",)))
    assert result.outcome == "new version" and versions(db) == 2
    assert result.form.current_version.version == "2"


def test_same_version_different_content_is_refused(publish, db):
    publish(make_xform("f", "1"))
    with pytest.raises(Problem) as e:
        publish(make_xform("f", "1", fields=("changed",)))
    assert e.value.code == "409.6" and "1" in e.value.message_en and "版本" in e.value.message_zh


def test_xlsform_compiles_with_warnings_and_source_kept(publish, db, app):
    data = xlsform([("text", "name", "Name"), ("image", "photo", "Photo")],
                   {"form_id": "visit", "version": "2026112901", "form_title": "入户走访"})
    result = publish(data, filename="visit.xlsx")
    v = result.version
    assert (result.form.xml_form_id, v.version, v.title) == ("visit", "2026112901", "入户走访")
    assert v.binary_paths == ["/data/photo"]
    assert any("max-pixels" in w for w in result.warnings)
    assert app.extensions["blob_store"].read(v.xlsform_sha256) == data


def test_xlsform_without_form_id_takes_the_file_name(publish):
    result = publish(xlsform([("text", "name", "Name")]), filename="pregnancy_report.xlsx")
    assert result.form.xml_form_id == "pregnancy_report"


def test_broken_xlsform_is_refused_with_pyxform_message(publish):
    with pytest.raises(Problem) as e:
        publish(xlsform([("textX", "name", "Name")]), filename="broken.xlsx")
    assert e.value.code == "400.4" and "textX" in e.value.message_en


def external_choices_xlsform():
    """An XLSForm whose select_one_external needs an itemsets.csv, made from its sheet."""
    wb = openpyxl.Workbook()
    wb.active.title = "survey"
    wb.active.append(["type", "name", "label", "choice_filter"])
    wb.active.append(["select_one village", "village", "Village", ""])
    wb.active.append(["select_one_external household", "household", "Household",
                      "village=${village}"])
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["village", "dongwan", "Dongwan"])
    external = wb.create_sheet("external_choices")
    external.append(["list_name", "name", "label", "village"])
    external.append(["household", "h1", "House 1", "dongwan"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_external_choices_publish_itemsets_csv(publish, collect):
    result = publish(external_choices_xlsform(), filename="ext.xlsx")
    assert result.missing_media == []
    names = [a.name for a in result.version.attachments]
    assert names == ["itemsets.csv"]


def test_odk_validate_runs_without_the_sqlite_write_lock(app, db, monkeypatch):
    """Java takes seconds: meanwhile every other writer (intake) must be able to write."""
    import sqlite3

    from app.forms import publish as publishing
    from tests.factories import make_xlsform
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    db.session.commit()
    wrote = []

    def another_writer_meanwhile(filename, xml):
        other = sqlite3.connect(db.engine.url.database, timeout=0.5)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE projects SET name = name")
            other.commit()
            wrote.append(True)
        finally:
            other.close()
        return []

    monkeypatch.setattr(publishing, "validate_xform", another_writer_meanwhile)
    source = make_xlsform(survey=[{"type": "text", "name": "n", "label": "N"}],
                          settings={"form_id": "locked", "version": "1"})
    publishing.publish(db.session, app.extensions["blob_store"], 1, "locked.xlsx", source,
                       validate=True)
    db.session.commit()
    assert wrote == [True]


def test_a_list_declared_after_a_form_that_reads_it_is_linked_to_that_form(app, db):
    """benefit_payment only reads households.csv and people.csv and sorts first in forms/: the
    lists it reads are declared by forms published after it, and are linked then."""
    import os

    from click.testing import CliRunner

    from app.cli import forms as forms_cli
    from tests.conftest import FORMS_DIR
    paths = [os.path.join(FORMS_DIR, f) for f in ("benefit_payment.xlsx", "person.xlsx")]

    alone = CliRunner().invoke(forms_cli, ["publish", paths[0]], obj=app.extensions)
    assert alone.exit_code == 0, alone.output
    assert "benefit_payment.xlsx: missing media file: households.csv" in alone.output
    assert "benefit_payment.xlsx: missing media file: people.csv" in alone.output

    # person declares people (and its households.csv is a list it only reads too)
    both = CliRunner().invoke(forms_cli, ["publish", *paths], obj=app.extensions)
    assert both.exit_code == 0, both.output
    assert "people.csv" not in both.output
    db.session.rollback()
    from app.forms.models import Form
    version = db.session.scalar(select(FormVersion).join(Form, Form.id == FormVersion.form_id)
                                .where(Form.xml_form_id == "benefit_payment"))
    linked = {a.name: a.dataset.name if a.dataset else None for a in version.attachments}
    assert linked == {"villages.csv": None, "households.csv": None, "people.csv": "people"}
