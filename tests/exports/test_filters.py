"""app.exports.filters: Central's $filter subset, read by our parser and run on the real
database (SQLite and PostgreSQL alike); everything else is a 400.19x naming where it failed."""
from datetime import datetime

import pytest
from sqlalchemy import select

from app.exports import filters
from app.problems import Problem
from app.submissions.models import Submission


@pytest.fixture
def rows(db, simple_form):
    """Five submissions of `simple` with known dates, review states and submitters."""
    made = [("a", datetime(2024, 1, 31, 23, 30), None, 1, None),
            ("b", datetime(2024, 2, 1, 8, 0), "approved", 2, None),
            ("c", datetime(2024, 3, 15, 12, 45, 30), "hasIssues", 1, None),
            ("d", datetime(2025, 6, 1, 0, 0), "rejected", None, None),
            ("e", datetime(2024, 2, 10), None, 2, datetime(2024, 3, 1))]
    for iid, created, state, submitter, deleted in made:
        db.session.add(Submission(form_id=simple_form.form.id, instance_id=f"uuid:{iid}",
                                  submitter_kind="app_user", submitter_id=submitter,
                                  review_state=state, created_at=created, deleted_at=deleted))
    db.session.commit()
    return db.session


def ids(session, text):
    query = (select(Submission.instance_id)
             .where(filters.where(text, filters.submission_columns()))
             .order_by(Submission.instance_id))
    return [i.removeprefix("uuid:") for i in session.scalars(query)]


@pytest.mark.parametrize("text, expected", [
    (None, "abcd"),
    ("", "abcd"),
    ("__system/submissionDate gt 2024-02-01", "bcd"),
    ("__system/submissionDate ge 2024-02-01T08:00:00.000Z", "bcd"),
    # 08:00 in UTC+8 is midnight UTC: b (08:00 UTC) is after it, a (the day before) is not
    ("__system/submissionDate lt 2024-02-01T08:00:00+08:00", "a"),
    ("__system/submissionDate lt '2024-02-01'", "a"),
    ("2024-03-01 lt __system/submissionDate", "cd"),
    ("__system/reviewState eq 'approved'", "b"),
    ("__system/reviewState eq null", "a"),
    ("__system/reviewState ne null", "bcd"),
    # as Central's IS DISTINCT FROM: the received ones (null) are "not approved"
    ("__system/reviewState ne 'approved'", "acd"),
    ("__system/reviewState eq 'approved' or __system/reviewState eq 'hasIssues'", "bc"),
    ("not (__system/reviewState eq 'rejected') and __system/submitterId eq 1", "ac"),
    ("__system/submitterId eq null", "d"),
    ("year(__system/submissionDate) eq 2024", "abc"),
    ("month(__system/submissionDate) eq 2 and day(__system/submissionDate) eq 1", "b"),
    ("hour(__system/submissionDate) ge 12 and minute(__system/submissionDate) eq 45", "c"),
    ("second(__system/submissionDate) ge 30", "c"),
    ("__system/submissionDate lt now()", "abcd"),
    ("__id eq 'uuid:c'", "c"),
    ("$root/Submissions/__id eq 'uuid:c'", "c"),
    ("(((__system/reviewState eq 'approved')))", "b"),
    # naming deletedAt lets the deleted ones in, as Central does
    ("__system/deletedAt ne null", "e"),
    ("__system/deletedAt eq null and __system/submitterId eq 2", "b"),
    ("__system/deletedAt ge 2024-01-01 or __system/deletedAt eq null", "abcde"),
])
def test_filters_select_the_rows_central_would(rows, text, expected):
    assert "".join(ids(rows, text)) == expected


@pytest.mark.database_independent
@pytest.mark.parametrize("text, code", [
    ("__system/status eq 'x'", "400.192"),
    ("name eq 'x'", "400.192"),
    ("__system/reviewState eq", "400.191"),
    ("__system/reviewState 'x'", "400.191"),
    ("__id eq 'unclosed", "400.191"),
    ("__id eq 'a' )", "400.191"),
    ("(__id eq 'a'", "400.191"),
    ("__id eq # 1", "400.191"),
    ("__id eq 'a' and", "400.191"),
    ("and __id eq 'a'", "400.191"),
    ("__system/submissionDate gt 2024-13-45", "400.191"),
    ("__system/submissionDate gt 2024-02-30T25:00:00Z", "400.191"),
    ("year() eq 2024", "400.191"),
    ("year('x') eq 2024", "400.191"),
    ("substringof('a', __id)", "501.191"),
    ("contains(__id, 'a')", "501.191"),
    ("year(__system/reviewState) eq 2024", "400.194"),
    ("__system/submissionDate gt 5", "400.194"),
    ("__system/submissionDate gt 'yesterday'", "400.194"),
    ("__system/submitterId eq 'x'", "400.194"),
    ("__system/submissionDate lt null", "400.194"),
    ("1 eq 1", "400.194"),
    ("__id", "400.194"),
    ("'a'", "400.194"),
    ("__id eq __system/submitterId", "400.194"),
    ("(__id eq 'a') eq 'b'", "400.194"),
    ("__id eq 'a' eq 'b'", "400.191"),
])
def test_bad_filters_are_400s_that_say_where(text, code):
    with pytest.raises(Problem) as caught:
        filters.where(text, filters.submission_columns())
    assert caught.value.code == code
    assert caught.value.message_en and caught.value.message_zh


@pytest.mark.database_independent
@pytest.mark.parametrize("text", [
    "(" * 40 + "__id eq 'a'" + ")" * 40,
    "not " * 40 + "__id eq 'a'",
    " or ".join(["__id eq 'a'"] * 150),
    "__id eq '" + "x" * 3000 + "'",
])
def test_filters_are_bounded_in_size_and_depth(text):
    with pytest.raises(Problem) as caught:
        filters.parse(text)
    assert caught.value.code == "400.193"


@pytest.mark.database_independent
def test_within_bounds_parses():
    assert filters.parse("(" * 30 + "__id eq 'a'" + ")" * 30) is not None
    assert filters.parse(" or ".join(["__id eq 'a'"] * 60)) is not None


@pytest.mark.database_independent
def test_quotes_in_strings_are_doubled():
    parsed = filters.parse("__id eq 'it''s'")
    assert parsed.tree.right.value == "it's"


@pytest.mark.database_independent
def test_mentions_names_the_fields_and_their_root_aliases():
    parsed = filters.parse("year($root/Submissions/__system/deletedAt) eq 2024")
    assert parsed.mentions("__system/deletedAt")
    assert not filters.parse("__id eq 'a'").mentions("__system/deletedAt")


def test_orderby_as_central_with_a_stable_key(rows):
    columns = filters.submission_columns()
    query = (select(Submission.instance_id).where(filters.where(None, columns))
             .order_by(*filters.order_by("__system/reviewState desc", columns, Submission.id)))
    # desc: nulls last; the stable key (id) follows the first clause's direction
    assert [i[-1] for i in rows.scalars(query)] == list("dcba")
    query = (select(Submission.instance_id).where(filters.where(None, columns))
             .order_by(*filters.order_by("__system/submissionDate", columns, Submission.id)))
    assert [i[-1] for i in rows.scalars(query)] == list("abcd")


@pytest.mark.database_independent
@pytest.mark.parametrize("text", ["__system/status", "__id up", "__id asc extra", ","])
def test_bad_orderby_is_400_195(text):
    with pytest.raises(Problem) as caught:
        filters.order_by(text, filters.submission_columns())
    assert caught.value.code == "400.195"


def test_entity_fields_filter_entities(db):
    from app.register.models import Dataset, Entity, EntityVersion
    dataset = Dataset(project_id=1, name="people")
    db.session.add(dataset)
    db.session.flush()
    for n, (conflict, version, actor) in enumerate([(None, 1, 7), ("soft", 3, 8)]):
        entity = Entity(dataset_id=dataset.id, uuid=f"00000000-0000-4000-8000-00000000000{n}",
                        label=f"e{n}", version=version, conflict=conflict,
                        created_at=datetime(2024, 1, 1 + n))
        db.session.add(entity)
        db.session.flush()
        db.session.add(EntityVersion(entity_id=entity.id, version=1, source="api",
                                     actor_kind="user", actor_id=actor))
    db.session.commit()
    columns = filters.entity_columns()

    def labels(text):
        return list(db.session.scalars(select(Entity.label).where(filters.where(text, columns))
                                       .order_by(Entity.label)))
    assert labels("__system/conflict eq 'soft'") == ["e1"]
    assert labels("__system/conflict eq null") == ["e0"]
    assert labels("__system/creatorId eq 7") == ["e0"]
    assert labels("__system/version gt 1") == ["e1"]
    assert labels("__system/createdAt ge 2024-01-02") == ["e1"]
