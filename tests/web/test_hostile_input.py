"""Queries and forms a person never sends but anyone can: each is a 400 page, never a 500.
(Found by the console's review: a cursor's id beyond 64 bits, a time zone in a cursor's time,
a day at the end of the calendar.)"""
import pytest

BAD = (
    "/review?after=2026-01-01T00:00:00_99999999999999999999",
    "/review?after=2026-01-01T00:00:00%2B05:00_1",
    "/review?since=0001-01-01",
    "/review?until=9999-12-31",
    "/phones?after=99999999999999999999",
    "/conflicts?after=2026-01-01T00:00:00~e~99999999999999999999",
    "/conflicts?after=2026-01-01T00:00:00%2B05:00~h~1",
)


@pytest.mark.parametrize("url", BAD)
def test_an_out_of_range_cursor_or_day_is_a_400_page(console, url):
    response = console("admin").get(url)
    assert response.status_code == 400, response.get_data(as_text=True)[:400]
    assert "<html" in response.get_data(as_text=True)


def test_the_queue_still_takes_its_own_cursor_and_days(console):
    admin = console("admin")
    for url in ("/review?after=2026-01-01T00:00:00.123456_12", "/review?since=2026-01-01",
                "/conflicts?after=2026-01-01T00:00:00~e~3", "/phones?after=5"):
        assert admin.get(url).status_code == 200, url


NUL_FORMS = (
    ("/phones", {"name": "a\x00b", "all_forms": "1"}),
    ("/users/new", {"username": "a\x00b", "role": "viewer", "password": "0123456789ab",
                    "again": "0123456789ab"}),
    ("/users/new", {"username": "li", "role": "viewer", "villages": "dong\x00wan",
                    "password": "0123456789ab", "again": "0123456789ab"}),
    ("/account/sessions", {"x\x00": "1"}),
)


@pytest.mark.parametrize("url, form", NUL_FORMS)
def test_a_nul_character_in_any_field_is_a_400_page(console, db, url, form):
    """PostgreSQL can neither store nor compare a text with a NUL (it was a 500 there)."""
    from sqlalchemy import func, select

    from app.auth.models import AppUser, User
    admin = console("admin")
    counts = [db.session.scalar(select(func.count()).select_from(t)) for t in (AppUser, User)]
    response = admin.post(url, form)
    assert response.status_code == 400, response.get_data(as_text=True)[:400]
    db.session.rollback()
    assert [db.session.scalar(select(func.count()).select_from(t))
            for t in (AppUser, User)] == counts
    assert admin.get("/users?after=%00").status_code == 400
    assert admin.get("/login?next=/%00").status_code == 400


def test_a_nul_character_in_a_comment_is_a_400_page(town, simple_form, console, db):
    from sqlalchemy import select

    from app.submissions.models import Submission
    from tests.factories import make_instance
    assert town.phone("worker_a").submit(make_instance(
        "simple", "1", values={"name": "x", "village": "dongwan"})).status_code == 201
    submission_id = db.session.scalar(select(Submission.id))
    response = console("supervisor").post(f"/submissions/{submission_id}/review",
                                          {"comment": "a\x00b"})
    assert response.status_code == 400
