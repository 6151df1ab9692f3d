"""The console across towns: a person of several towns (county staff, an admin) picks the
town in the frame and her session remembers it; a person of one town has no switcher and is
refused (404.341) another; every console page, in town A, shows nothing of town B even when
its path names B's records."""
import re

from app.web.session import DECLARATION
from tests.api.test_route_policy_api import _changed, _state
from tests.towns.conftest import B_NAME, B_SECRETS, B_SUBMITTED_NAME
from tests.towns.test_route_walk import _text
from tests.web.conftest import sign_in
from tests.web.test_route_policy import _send

ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
PUBLIC = {"console.login", "console.login_post", "console.logout", "console.static"}
#: the server's own pages, for admins only, about every town (docs/towns.md): the audit log
#: (its rows carry no town) and the list of web users
SERVER_WIDE = {"console.audit", "console.users", "console.user"}


def _browser(app, username):
    client = app.test_client()
    assert sign_in(app, client, username, f"{username}-password").status_code == 303
    return client


def _console_gets(app, values):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith("console.") and rule.endpoint not in PUBLIC \
                and "GET" in rule.methods:
            yield rule, ARG.sub(lambda m: str(values[m.group(1)]), rule.rule)


def test_county_staff_switch_towns_and_her_session_remembers_the_choice(app, towns):
    county = _browser(app, "county")
    page = county.get("/").get_data(as_text=True)
    assert 'name="project"' in page and "乙镇" in page and "Test town" in page
    b_submission = f"/submissions/{towns.b['submission_id']}"
    assert county.get(b_submission).status_code == 404
    switched = county.get("/?project=2")
    assert switched.status_code == 200
    assert '<option value="2" selected>' in switched.get_data(as_text=True)
    # the next pages, without ?project, are town B's
    assert B_SUBMITTED_NAME in county.get(b_submission).get_data(as_text=True)
    assert B_NAME in county.get(f"/people/{towns.b['person']}").get_data(as_text=True)
    county.get("/?project=1")
    assert county.get(b_submission).status_code == 404


def test_a_person_of_one_town_has_no_switcher_and_cannot_open_another(app, towns):
    supervisor = _browser(app, "supervisor")
    page = supervisor.get("/").get_data(as_text=True)
    assert 'name="project"' not in page
    for asked in ("2", "99", "x"):
        refused = supervisor.get(f"/review?project={asked}")
        assert refused.status_code == 404, asked
        assert "404.341" in refused.get_data(as_text=True)
    # town B's own staff start in town B (they do not work in project 1)
    assert B_SUBMITTED_NAME in _browser(app, "supervisor_b").get(
        f"/submissions/{towns.b['submission_id']}").get_data(as_text=True)


def test_no_console_page_of_town_a_shows_town_b(app, towns, personas):
    """Every console GET, its path naming B's records, asked in town A by the admin (who
    may read both) and by A's supervisor with ?project=2: refused or without B in it."""
    values = {**towns.b, "user_id": personas["admin"].id}
    admin, supervisor = _browser(app, "admin"), _browser(app, "supervisor")
    walked = 0
    for rule, url in _console_gets(app, values):
        shown = admin.get(url)
        assert shown.status_code in (200, 303, 400, 403, 404), (url, shown.status_code)
        if rule.endpoint not in SERVER_WIDE:
            # (the page's own address, in its language link, is not something it shows)
            text = _text(shown).replace(url, "")
            assert not [s for s in B_SECRETS if s in text], (url, shown.status_code)
        refused = supervisor.get(f"{url}?project=2")
        assert refused.status_code in (403, 404), (url, refused.status_code)
        walked += 1
    assert walked >= 25


#: path arguments naming one record (not a month, a form or a file name every town has)
RECORDS = {"submission_id", "import_id", "person", "a", "b", "household", "entity",
           "app_user_id"}


def test_no_console_write_in_town_a_reaches_town_bs_records(app, db, towns, personas):
    """Every console POST whose path names one of B's records (a submission to review, a
    person to merge, a phone to revoke, an import …), sent in town A by the admin: refused,
    and nothing in the database changes."""
    values = {**towns.b, "user_id": personas["admin"].id}
    admin = _browser(app, "admin")
    before = _state(db)
    walked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("console.") or "POST" not in rule.methods \
                or not RECORDS & rule.arguments:
            continue
        url = ARG.sub(lambda m: str(values[m.group(1)]), rule.rule)
        declared = getattr(app.view_functions[rule.endpoint], DECLARATION)
        response = _send(app, admin, "POST", url, declared)
        assert response.status_code in (400, 403, 404), (url, response.status_code)
        walked += 1
    assert walked >= 9
    assert _changed(before, _state(db)) == []
