"""Kept export segments (app/exports/segments.py) on the real database: a whole-form export
with Central's default options copies kept segments instead of writing their rows, and
comes out the same, byte for byte, as an export that parses every submission: warm, and
after every kind of change a segment's rows can see (a review, a deletion, an edit, a file
arriving, a hold, a renamed phone, a row arriving inside a segment's range, a new form
version). Filtered and village-scoped exports neither read nor keep segments; the table is
derived (dropping it changes nothing) and `flask exports warm` fills it.

Batches of 3 submissions and segments of at least 2 (instead of 500 and 100) and no
settling time, so a handful of submissions make several segments with rows between them."""
import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from app.auth.models import AppUser
from app.exports import deflated, reading, segments
from app.exports.models import ExportLines, ExportSegment
from app.submissions import rows
from app.submissions.models import Submission, SubmissionDef
from tests.collect import CollectClient
from tests.exports.forms import survey, survey_instance
from tests.exports.test_lines import parsed_every_time
from tests.factories import make_instance

ZIP = "/v1/projects/1/forms/{}/submissions.csv.zip?attachments=false"
CSV = "/v1/projects/1/forms/{}/submissions.csv"


@pytest.fixture(autouse=True)
def small_segments(monkeypatch):
    monkeypatch.setattr(reading, "BATCH", 3)
    monkeypatch.setattr(segments, "MIN_ROWS", 2)
    monkeypatch.setattr(segments, "SETTLE", timedelta(0))


def phone(client, personas, who="worker_a"):
    return CollectClient(client, f"/v1/key/{personas[who].token}/projects/1")


def contents(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def kept(db):
    """{segment id: rows} of the kept segments."""
    found = dict(db.session.execute(select(ExportSegment.id, ExportSegment.rows)).all())
    db.session.rollback()
    return found


def same_as_parsed(client, db, headers, form="survey"):
    """Export the zip and the plain CSV; both must equal the export that parses every
    submission. Returns the zip's tables."""
    zipped = contents(client.get(ZIP.format(form), headers=headers))
    assert zipped == parsed_every_time(db, form, has_attachments=True)
    plain = client.get(CSV.format(form), headers=headers)
    assert plain.status_code == 200
    assert plain.data == parsed_every_time(db, form, zipped=False, has_attachments=True)
    return zipped


@pytest.fixture
def ten(client, publish, personas):
    """`survey` with ten submissions, uuid:s0 (oldest) … uuid:s9 (newest)."""
    publish(survey("1"))
    a = phone(client, personas)
    for n in range(10):
        assert a.submit(survey_instance(f"uuid:s{n}", name=f"N{n}")).status_code == 201


def test_the_first_export_keeps_segments_and_the_next_copies_them(ten, client, login, db):
    headers = login("admin")
    cold = same_as_parsed(client, db, headers)
    # ten rows in batches of three: 3 + 3 + 3 kept, the last single row too short to keep
    assert sorted(kept(db).values()) == [3, 3, 3]
    first = kept(db)
    assert same_as_parsed(client, db, headers) == cold
    assert kept(db) == first            # nothing made again: the same segments were read


def test_a_warm_export_copies_the_segments_pieces_not_the_rows(ten, client, login, db):
    headers = login("admin")
    cold = same_as_parsed(client, db, headers)
    # the kept lines gone bad: an export that reads segments never sees them
    db.session.execute(update(ExportLines).values(root=ExportLines.root + "MARK"))
    db.session.commit()
    assert contents(client.get(ZIP.format("survey"), headers=headers)) != cold   # s0's row
    marked = next(iter(kept(db)))
    piece = deflated.deflate(b"SEGMENT\n")
    db.session.execute(update(ExportSegment).where(ExportSegment.id == marked).values(
        root=piece.data, root_size=piece.size, root_crc=piece.crc))
    db.session.commit()
    body = contents(client.get(ZIP.format("survey"), headers=headers))["survey.csv"]
    assert b"SEGMENT\n" in body and body.count(b"MARK") == 1
    plain = client.get(CSV.format("survey"), headers=headers).data
    assert b"SEGMENT\n" in plain
    # derived: dropping the segments and the lines changes no export
    db.session.execute(delete(ExportSegment))
    db.session.execute(delete(ExportLines))
    db.session.commit()
    assert same_as_parsed(client, db, headers) == cold


def _iid_sid(db, iid):
    found = db.session.scalar(select(Submission.id).where(Submission.instance_id == iid))
    db.session.rollback()
    return found


def test_a_review_or_a_deletion_replaces_the_segment_holding_it(ten, client, login, db):
    headers = login("admin")
    same_as_parsed(client, db, headers)
    before = kept(db)
    url = "/v1/projects/1/forms/survey/submissions/uuid:s5"
    assert client.patch(url, json={"reviewState": "approved"},
                        headers=headers).status_code == 200
    reviewed = same_as_parsed(client, db, headers)
    assert ",approved," in reviewed["survey.csv"].decode()
    after = kept(db)
    assert len(set(before) - set(after)) == 1 and len(set(after) - set(before)) == 1
    assert client.delete("/v1/projects/1/forms/survey/submissions/uuid:s8",
                         headers=headers).status_code == 200
    deleted = same_as_parsed(client, db, headers)
    assert b"uuid:s8" not in deleted["survey.csv"]


def test_an_edit_a_hold_and_a_renamed_phone_are_seen(ten, client, personas, login, db):
    headers = login("admin")
    same_as_parsed(client, db, headers)
    edit = survey_instance("uuid:s4b", name="Edited").replace(
        b"<instanceID>uuid:s4b</instanceID>",
        b"<instanceID>uuid:s4b</instanceID><deprecatedID>uuid:s4</deprecatedID>")
    assert phone(client, personas).submit(edit).status_code == 201
    edited = same_as_parsed(client, db, headers)
    assert b"Edited" in edited["survey.csv"]
    # the register's hold, and any other write, go through rows.update_submission
    rows.update_submission(db.session, _iid_sid(db, "uuid:s1"), review_state="hasIssues")
    db.session.commit()
    assert ",hasIssues," in same_as_parsed(client, db, headers)["survey.csv"].decode()
    worker = personas["worker_a"]
    db.session.execute(update(AppUser).where(AppUser.id == worker.id)
                       .values(display_name="Renamed phone"))
    db.session.commit()
    renamed = same_as_parsed(client, db, headers)
    assert renamed["survey.csv"].decode().count("Renamed phone") == 10


def test_a_row_arriving_inside_a_segments_range_is_seen(ten, client, login, db):
    # a phone's submission committed after the segment was made with an earlier arrival
    # time (two hosts, or a transaction still open): the count no longer matches
    headers = login("admin")
    same_as_parsed(client, db, headers)
    middle = db.session.execute(select(Submission.created_at, Submission.form_id)
                                .where(Submission.instance_id == "uuid:s5")).one()
    source = db.session.scalar(select(SubmissionDef).where(
        SubmissionDef.instance_id == "uuid:s5"))
    late = Submission(form_id=middle.form_id, instance_id="uuid:late",
                      submitter_kind="app_user", submitter_id=source.submitter_id,
                      created_at=middle.created_at + timedelta(microseconds=1))
    db.session.add(late)
    db.session.flush()
    xml = survey_instance("uuid:late", name="Late").decode()
    db.session.add(SubmissionDef(
        submission_id=late.id, form_id=middle.form_id, form_version_id=source.form_version_id,
        instance_id="uuid:late", xml=xml, xml_sha256="0" * 64, submitter_kind="app_user",
        submitter_id=source.submitter_id))
    db.session.commit()
    assert b"uuid:late" in same_as_parsed(client, db, headers)["survey.csv"]
    # one deleted while another arrives in the same range: the count is as it was, the
    # id sum is not
    before = kept(db)
    db.session.execute(update(Submission).where(Submission.instance_id == "uuid:late")
                       .values(deleted_at=func.now()))
    later = Submission(form_id=middle.form_id, instance_id="uuid:later",
                       submitter_kind="app_user", submitter_id=source.submitter_id,
                       created_at=middle.created_at + timedelta(microseconds=2))
    db.session.add(later)
    db.session.flush()
    db.session.add(SubmissionDef(
        submission_id=later.id, form_id=middle.form_id,
        form_version_id=source.form_version_id, instance_id="uuid:later",
        xml=xml.replace("uuid:late", "uuid:later"), xml_sha256="0" * 64,
        submitter_kind="app_user", submitter_id=source.submitter_id))
    db.session.commit()
    table = same_as_parsed(client, db, headers)["survey.csv"]
    assert b"uuid:later" in table and b"uuid:late," not in table
    assert len(set(before) - set(kept(db))) == 1


def test_a_file_arriving_later_is_counted(client, simple_form, collect, login, db):
    xml = make_instance(values={"name": "a", "photo": "p.jpg"})
    assert collect.submit(xml).status_code == 201
    for n in range(4):
        assert collect.submit(make_instance(values={"name": f"n{n}"})).status_code == 201
    headers = login("admin")
    before = same_as_parsed(client, db, headers, "simple")
    assert kept(db)
    assert collect.submit(xml, files={"p.jpg": b"\xff\xd8 jpeg"}).status_code == 201
    after = same_as_parsed(client, db, headers, "simple")
    table = list(csv.DictReader(io.StringIO(after["simple.csv"].decode())))
    assert [r["AttachmentsPresent"] for r in table if r["photo"]] == ["1"]
    assert before != after


def test_a_new_version_with_other_columns_drops_the_old_segments(ten, client, publish,
                                                                 login, db):
    def signatures():
        found = set(db.session.scalars(select(ExportSegment.signature)))
        db.session.rollback()
        return found
    headers = login("admin")
    same_as_parsed(client, db, headers)
    first = signatures()
    publish(survey("2", with_old=False))
    after = same_as_parsed(client, db, headers)
    assert b"old_q" not in after["survey.csv"]
    assert len(first) == len(signatures()) == 1 and signatures() != first


def test_filtered_and_village_exports_neither_read_nor_keep_segments(ten, client, login, db):
    headers = login("admin")
    filtered = ZIP.format("survey") + "&$filter=__system/reviewState eq null"
    assert client.get(filtered, headers=headers).status_code == 200
    assert client.get(CSV.format("survey") + "?$filter=__system/reviewState eq null",
                      headers=headers).status_code == 200
    assert kept(db) == {}
    same_as_parsed(client, db, headers)
    piece = deflated.deflate(b"SEGMENT\n")
    db.session.execute(update(ExportSegment).values(root=piece.data, root_size=piece.size,
                                                    root_crc=piece.crc))
    db.session.commit()
    assert b"SEGMENT" not in client.get(filtered, headers=headers).data
    supervisor = login("supervisor")
    scoped = client.get(CSV.format("survey"), headers=supervisor)
    assert scoped.status_code == 200 and b"SEGMENT" not in scoped.data


def test_the_order_and_the_gaps_between_segments_survive(ten, client, login, db):
    headers = login("admin")
    same_as_parsed(client, db, headers)
    # invalidate the middle segment only: rows before, inside and after it come in order
    rows.update_submission(db.session, _iid_sid(db, "uuid:s4"), review_state="rejected")
    db.session.commit()
    zipped = same_as_parsed(client, db, headers)
    keys = [r["KEY"] for r in csv.DictReader(io.StringIO(zipped["survey.csv"].decode()))]
    assert keys == [f"uuid:s{n}" for n in range(9, -1, -1)]


def test_flask_exports_warm_keeps_the_segments(app, ten, client, login, db):
    result = app.test_cli_runner().invoke(args=["exports", "warm", "survey"])
    assert result.exit_code == 0, result.output
    assert "survey: 10 submissions, 10 lines computed, 3 segments kept" in result.output
    again = app.test_cli_runner().invoke(args=["exports", "warm", "survey"])
    assert "survey: 10 submissions, 0 lines computed, 0 segments kept" in again.output
    assert sorted(kept(db).values()) == [3, 3, 3]
    same_as_parsed(client, db, login("admin"))


def test_every_change_to_a_submission_counts_its_export_version_up(ten, db):
    sid = _iid_sid(db, "uuid:s3")

    def version():
        found = db.session.scalar(select(Submission.export_version)
                                  .where(Submission.id == sid))
        db.session.rollback()
        return found
    start = version()
    rows.update_submission(db.session, sid, updated_at=func.now())
    db.session.commit()
    assert version() == start + 1
    submission = db.session.get(Submission, sid)
    submission.review_state = "approved"
    db.session.commit()
    assert version() == start + 2
    db.session.get(Submission, sid)
    db.session.commit()                 # nothing changed, nothing counted
    assert version() == start + 2


def test_a_segment_deleted_by_another_export_meanwhile_is_read_as_rows(
        ten, client, login, db, monkeypatch):
    headers = login("admin")
    cold = same_as_parsed(client, db, headers)
    load = segments.Plan.load

    def gone_first(plan, connection, segment):
        with db.engine.begin() as c:      # as another export's clean-up would
            c.execute(delete(ExportSegment).where(ExportSegment.id == segment.id))
        return load(plan, connection, segment)
    monkeypatch.setattr(segments.Plan, "load", gone_first)
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == cold


def test_a_segment_whose_rows_were_all_deleted_is_dropped(ten, client, login, db):
    headers = login("admin")
    same_as_parsed(client, db, headers)
    oldest = db.session.execute(select(ExportSegment.id, ExportSegment.oldest_id)
                                .order_by(ExportSegment.oldest_at)).first()
    db.session.rollback()
    emptied = db.session.scalars(select(Submission).where(
        Submission.id <= oldest.oldest_id + 2, Submission.id >= oldest.oldest_id)).all()
    for submission in emptied:
        submission.deleted_at = func.now()
    db.session.commit()
    same_as_parsed(client, db, headers)
    assert oldest.id not in kept(db)


def test_a_change_between_the_check_and_the_copy_is_seen(ten, client, login, db,
                                                         monkeypatch):
    # a slow download copies a segment long after the export checked it: checked again
    headers = login("admin")
    same_as_parsed(client, db, headers)
    load = segments.Plan.load
    reviewed = []

    def review_first(plan, connection, segment):
        if not reviewed:
            with db.engine.begin() as c:
                sid = segment.oldest[1]
                rows.update_submission(_Session(c), sid, review_state="rejected")
            reviewed.append(sid)
        return load(plan, connection, segment)
    monkeypatch.setattr(segments.Plan, "load", review_first)
    table = contents(client.get(ZIP.format("survey"), headers=headers))["survey.csv"].decode()
    assert reviewed and ",rejected," in table


def test_a_segment_id_given_to_another_run_is_not_copied(ten, client, login, db,
                                                         monkeypatch):
    # another export drops this form's segment and keeps another under the same id (what
    # SQLite does without AUTOINCREMENT when it was the highest): checked by its ends too
    headers = login("admin")
    cold = same_as_parsed(client, db, headers)
    load = segments.Plan.load
    other = deflated.deflate(b"OTHER\n")

    def replaced_first(plan, connection, segment):
        with db.engine.begin() as c:
            row = c.execute(select(ExportSegment.__table__).where(
                ExportSegment.id == segment.id)).one()._asdict()
            c.execute(delete(ExportSegment).where(ExportSegment.id == segment.id))
            c.execute(ExportSegment.__table__.insert().values(
                {**row, "newest_id": row["newest_id"] + 1000, "root": other.data,
                 "root_size": other.size, "root_crc": other.crc}))
        return load(plan, connection, segment)
    monkeypatch.setattr(segments.Plan, "load", replaced_first)
    assert contents(client.get(ZIP.format("survey"), headers=headers)) == cold


class _Session:
    """What rows.update_submission needs of a session: its connection."""

    def __init__(self, connection):
        self._connection = connection

    def connection(self):
        return self._connection


def test_rows_arriving_and_deleted_with_the_same_id_sum_are_seen(ten, client, login, db):
    # on PostgreSQL a late arrival may carry an id below rows already kept (a sequence is
    # not commit order): two arrivals and two deletions can keep count, id sum and version
    # sum; the squares' sum still differs
    headers = login("admin")
    same_as_parsed(client, db, headers)
    segment = db.session.execute(select(ExportSegment).order_by(ExportSegment.oldest_at)
                                 .limit(1)).scalar_one()
    low, high = segment.oldest_id, segment.newest_id
    assert high - low == 2
    middle = db.session.get(Submission, low + 1)
    source = db.session.scalar(select(SubmissionDef).where(SubmissionDef.submission_id == low))
    for sid in (low, high):
        db.session.execute(update(Submission).where(Submission.id == sid)
                           .values(deleted_at=func.now()))
    for n, (sid, shift) in enumerate(((-50, -1), (low + high + 50, 1))):
        iid = f"uuid:same-sum-{n}"
        db.session.add(Submission(id=sid, form_id=middle.form_id, instance_id=iid,
                                  submitter_kind="app_user", submitter_id=source.submitter_id,
                                  created_at=middle.created_at
                                  + timedelta(microseconds=shift)))
        db.session.flush()
        db.session.add(SubmissionDef(
            submission_id=sid, form_id=middle.form_id, form_version_id=source.form_version_id,
            instance_id=iid, xml=survey_instance(iid).decode(), xml_sha256="0" * 64,
            submitter_kind="app_user", submitter_id=source.submitter_id))
    db.session.commit()
    table = same_as_parsed(client, db, headers)["survey.csv"]
    assert b"uuid:same-sum-0" in table and b"uuid:same-sum-1" in table


def test_with_every_run_kept_no_rows_are_asked_for_between_segments(ten, client, login, db):
    # valid() counts the rows outside the segments once; with none between them the export
    # asks only for the newest rows before the first and the oldest after the last
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    headers = login("admin")
    cold = same_as_parsed(client, db, headers)
    asked = []

    def note(_conn, _cursor, statement, *_args):
        if "export_lines" in statement and "ORDER BY" in statement:
            asked.append(statement)
    event.listen(Engine, "before_cursor_execute", note)
    try:
        assert contents(client.get(ZIP.format("survey"), headers=headers)) == cold
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert len(asked) == 2
    # a segment gone stale makes a gap: its rows are asked for, and come in their place
    rows.update_submission(db.session, _iid_sid(db, "uuid:s5"), review_state="rejected")
    db.session.commit()
    keys = [r["KEY"] for r in csv.DictReader(io.StringIO(
        same_as_parsed(client, db, headers)["survey.csv"].decode()))]
    assert keys == [f"uuid:s{n}" for n in range(9, -1, -1)]
