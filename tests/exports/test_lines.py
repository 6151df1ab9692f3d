"""Kept export lines (app/exports/lines.py) on the real database: an export is the same byte
for byte cold, warm, after a new form version and after an edit, and the same as an export
that parses every submission; the warm export reads the kept lines, not the XML; the rows
are derived (dropping them changes nothing) and `flask exports warm` fills them."""
import csv
import io
import zipfile

from sqlalchemy import delete, func, select, update

from app.exports import central_csv, lines, reading
from app.exports.fields import export_fields
from app.exports.instances import Layout
from app.exports.models import ExportLines
from app.forms.models import Form, FormVersion
from app.submissions.models import Submission, SubmissionDef
from tests.collect import CollectClient
from tests.exports.forms import survey, survey_instance
from tests.samples import instance

ZIP = "/v1/projects/1/forms/{}/submissions.csv.zip?attachments=false"
CSV = "/v1/projects/1/forms/{}/submissions.csv"


def phone(client, personas, who):
    return CollectClient(client, f"/v1/key/{personas[who].token}/projects/1")


def contents(response):
    """{file name: bytes} of a zip export (entry times differ between runs; contents must
    not)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def parsed_every_time(db, xml_form_id, zipped=True, has_attachments=False):
    """The export with no kept lines at all (every submission parsed): the reference."""
    form = db.session.scalar(select(Form).where(Form.xml_form_id == xml_form_id))
    fields = export_fields(db.session, form)
    selection = reading.Selection(form_id=form.id, area_ids=None,
                                  has_attachments=has_attachments)
    options = central_csv.Options(attachments=False)
    db.session.rollback()
    if not zipped:
        return b"".join(central_csv.submissions_csv(db.engine, selection, fields, options,
                                                    kept_lines=False))
    body = b"".join(central_csv.submissions_zip(db.engine, None, selection, fields, xml_form_id,
                                                options, kept_lines=False))
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return {name: z.read(name) for name in z.namelist()}


def kept(db):
    rows = db.session.execute(select(ExportLines.def_id, ExportLines.signature)).all()
    db.session.rollback()
    return dict(rows)


def test_cold_warm_and_after_a_new_version_the_zip_is_the_same_byte_for_byte(
        client, publish, personas, login, db):
    publish(survey("1"))
    a = phone(client, personas, "worker_a")
    assert a.submit(survey_instance("uuid:a", name='Ann, "the elder"\nof the hill')).status_code \
        == 201
    assert a.submit(survey_instance("uuid:b", name="")).status_code == 201
    headers = login("admin")
    reference = parsed_every_time(db, "survey")
    assert kept(db) == {}
    cold = contents(client.get(ZIP.format("survey"), headers=headers))
    assert cold == reference
    first = kept(db)
    assert len(first) == 2 and len(set(first.values())) == 1
    warm = contents(client.get(ZIP.format("survey"), headers=headers))
    assert warm == cold
    # a version whose columns differ: another signature, every line computed again
    publish(survey("2", with_old=False))
    after = contents(client.get(ZIP.format("survey"), headers=headers))
    assert after == parsed_every_time(db, "survey")
    assert b"old_q" in cold["survey.csv"] and b"old_q" not in after["survey.csv"]
    second = kept(db)
    assert second.keys() == first.keys() and set(second.values()).isdisjoint(first.values())
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == after


def test_an_edit_is_a_new_version_computed_and_kept(client, publish, personas, login, db):
    publish(survey("1"))
    a = phone(client, personas, "worker_a")
    assert a.submit(survey_instance("uuid:a", name="Ann")).status_code == 201
    headers = login("admin")
    contents(client.get(ZIP.format("survey"), headers=headers))
    before = kept(db)
    edit = survey_instance("uuid:a2", name="Anne").replace(
        b"<instanceID>uuid:a2</instanceID>",
        b"<instanceID>uuid:a2</instanceID><deprecatedID>uuid:a</deprecatedID>")
    assert a.submit(edit).status_code == 201
    edited = contents(client.get(ZIP.format("survey"), headers=headers))
    assert edited == parsed_every_time(db, "survey")
    root = list(csv.DictReader(io.StringIO(edited["survey.csv"].decode())))
    assert [(r["name"], r["Edits"]) for r in root] == [("Anne", "1")]
    assert len(kept(db)) == len(before) + 1       # the new version's lines, the old ones kept
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == edited


def test_the_household_visit_plain_csv_is_the_same_cold_warm_and_parsed(town, client, login, db):
    for name in ("home_visit_birth", "home_visit_marriage"):
        assert town.phone("worker_a").submit(instance(name)).status_code == 201
    headers = login("admin")
    reference = parsed_every_time(db, "home_visit", zipped=False)
    cold = client.get(CSV.format("home_visit"), headers=headers)
    assert cold.status_code == 200 and cold.data == reference
    assert len(kept(db)) == 2           # the plain CSV keeps the repeats' lines for the zip
    assert client.get(CSV.format("home_visit"), headers=headers).data == reference
    zipped = contents(client.get(ZIP.format("home_visit"), headers=headers))
    assert zipped == parsed_every_time(db, "home_visit")
    assert zipped["home_visit.csv"] == reference


def test_a_warm_export_reads_the_kept_lines_not_the_xml(client, publish, personas, login, db):
    publish(survey("1"))
    assert phone(client, personas, "worker_a").submit(survey_instance("uuid:a")).status_code == 201
    headers = login("admin")
    cold = contents(client.get(ZIP.format("survey"), headers=headers))
    xml = db.session.scalar(select(SubmissionDef.xml))
    # the XML gone bad after the lines were kept: a warm export never reads it
    db.session.execute(update(SubmissionDef).values(xml="<data>not what was kept</data>"))
    db.session.commit()
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == cold
    db.session.execute(update(ExportLines).values(root=ExportLines.root + "MARK"))
    db.session.commit()
    marked = contents(client.get(ZIP.format("survey"), headers=headers))
    assert b"MARK" in marked["survey.csv"]
    # derived: dropping the rows changes no export (the XML read again)
    db.session.execute(delete(ExportLines))
    db.session.execute(update(SubmissionDef).values(xml=xml))
    db.session.commit()
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == cold


def test_other_options_neither_read_nor_write_kept_lines(client, publish, personas, login, db):
    publish(survey("1"))
    assert phone(client, personas, "worker_a").submit(survey_instance("uuid:a")).status_code == 201
    headers = login("admin")
    for query in ("&groupPaths=false", "&splitSelectMultiples=true", "&deletedFields=true"):
        assert client.get(ZIP.format("survey") + query, headers=headers).status_code == 200
    assert kept(db) == {}


def test_the_signature_follows_the_columns_and_the_options(app, publish, db):
    publish(survey("1"))
    form = db.session.scalar(select(Form).where(Form.xml_form_id == "survey"))
    fields = export_fields(db.session, form)
    same = lines.signature(Layout(fields)) == lines.signature(Layout(list(fields)))
    assert same
    assert lines.signature(Layout(fields)) != lines.signature(Layout(fields, group_paths=False))
    fewer = [f for f in fields if f.name != "old_q"]
    assert lines.signature(Layout(fields)) != lines.signature(Layout(fewer))
    db.session.rollback()


def test_the_encoder_quotes_as_the_whole_row_would(app, publish, db):
    publish(survey("1"))
    form = db.session.scalar(select(Form).where(Form.xml_form_id == "survey"))
    layout = Layout(export_fields(db.session, form))
    db.session.rollback()
    encoder = lines.Encoder(layout)
    for name in ("", "a,b", 'say "hi"', "two\nlines", "tab\there", " lead", "猫"):
        xml = survey_instance("uuid:q", name=name.replace("\n", "&#10;"))
        values, subrows = layout.read(xml, "uuid:q")
        root, repeats = encoder.encode(values, subrows)
        whole = io.StringIO()
        csv.writer(whole, lineterminator="\n").writerow(values)
        # SubmissionDate (empty here) + kept cells + the metadata's empty cells
        assert whole.getvalue() == "," + root + "," * (len(values) - layout.root.meta["KEY"]) \
            + "\n"
        tables = dict(lines.decode_repeats(repeats))
        assert tables[1].count("\n") == 2 and tables[2].count("\n") == 2


def test_flask_exports_warm_fills_the_lines_and_the_export_then_reads_them(
        app, client, publish, personas, login, db):
    publish(survey("1"))
    for iid in ("uuid:a", "uuid:b", "uuid:c"):
        assert phone(client, personas, "worker_a").submit(survey_instance(iid)).status_code == 201
    result = app.test_cli_runner().invoke(args=["exports", "warm", "survey"])
    assert result.exit_code == 0, result.output
    assert "survey: 3 submissions, 3 lines computed" in result.output
    assert len(kept(db)) == 3
    again = app.test_cli_runner().invoke(args=["exports", "warm"])
    assert "survey: 3 submissions, 0 lines computed" in again.output
    assert contents(client.get(ZIP.format("survey"), headers=login("admin"))) == \
        parsed_every_time(db, "survey")
    versions = db.session.scalar(select(func.count()).select_from(FormVersion))
    db.session.rollback()
    assert versions == 1


def test_cold_exports_write_their_lines_back_even_when_every_export_connection_is_taken(
        app, client, publish, personas, login, db, monkeypatch):
    # one export connection: the export reading through it must not wait for a second one
    # to write its lines back (with the pool's own wait it would give up and keep nothing)
    from app.exports import pool
    monkeypatch.setattr(pool, "CONNECTIONS", 1)
    monkeypatch.setattr(pool, "WAIT", 1)
    app.extensions.pop("doorstep_export_engine", None)
    publish(survey("1"))
    assert phone(client, personas, "worker_a").submit(survey_instance("uuid:p")).status_code \
        == 201
    try:
        response = client.get(ZIP.format("survey"), headers=login("admin"))
        assert contents(response) == parsed_every_time(db, "survey")
        assert len(kept(db)) == 1
    finally:
        found = app.extensions.pop("doorstep_export_engine", None)
        if found is not None:
            found[1].dispose()


def test_warm_rows_quote_keys_and_metadata_cells_as_a_parsed_export_does(
        client, publish, personas, login, db):
    # the warm path writes KEY as it is and reuses each metadata combination's encoded text
    # (central_csv._Kept): cells that need quoting, and rows whose metadata differ, must
    # still come out as csv.writer writes the whole row
    publish(survey("1"))
    a, b = phone(client, personas, "worker_a"), phone(client, personas, "worker_b")
    for who, iid in ((a, "uuid:comma,1"), (a, 'uuid:quote"1'), (b, "uuid:plain"),
                     (b, "uuid:line\r1"), (a, "uuid:other")):
        assert who.submit(survey_instance(iid)).status_code == 201
    db.session.execute(update(Submission).where(Submission.instance_id == "uuid:plain")
                       .values(review_state="hasIssues"))
    db.session.execute(update(SubmissionDef).where(SubmissionDef.instance_id == "uuid:other")
                       .values(device_id='collect:"x",y'))
    db.session.commit()
    headers = login("admin")
    reference = parsed_every_time(db, "survey")
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == reference
    assert len(kept(db)) == 5
    warm = contents(client.get(ZIP.format("survey"), headers=headers))
    assert warm == reference
    table = warm["survey.csv"].decode()
    assert '"uuid:comma,1"' in table and '"uuid:quote""1"' in table
    assert '"collect:""x"",y"' in table and ",hasIssues," in table
    plain = client.get(CSV.format("survey"), headers=headers)
    assert plain.data == parsed_every_time(db, "survey", zipped=False)
