"""Error codes: strings, unique as strings and as the numbers Central's clients read them as,
each naming one meaning, and carried as the string in the JSON body."""
import ast
import pathlib

from app.auth import accounts
from app.cli import users
from app.forms import publish as publishing
from app.problems import _CATALOGUE, CATALOGUE, Problem

APP = pathlib.Path(__file__).resolve().parents[2] / "app"


def test_every_catalogue_code_is_unique_as_a_string_and_as_a_number():
    codes = [e.code for e in _CATALOGUE]
    assert len(set(codes)) == len(codes)
    # a client that reads the code as a number (Central's do; pyodk compares str(code)) must
    # see exactly the catalogue's string: no "409.20" that reads as "409.2"
    assert [str(float(c)) for c in codes] == codes
    assert len({float(c) for c in codes}) == len(codes)
    for e in _CATALOGUE:
        assert isinstance(e.code, str) and int(e.code.split(".")[0]) == e.status


def _problem_literals():
    """(file, line, code) for every Problem("…") and _unauthorised("…", …) written in app/."""
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first = node.args[0]
            if name in ("Problem", "_unauthorised") and isinstance(first, ast.Constant):
                yield path.relative_to(APP.parent), node.lineno, first.value


def test_every_problem_literal_in_app_names_a_catalogue_entry():
    found = list(_problem_literals())
    assert len(found) > 50        # the walk does see the code base
    assert [f for f in found if f[2] not in CATALOGUE] == []


def test_form_definition_invalid_means_only_that():
    used = {(str(f), code) for f, _line, code in _problem_literals() if code == "400.4"}
    assert used == {("app/forms/compile.py", "400.4")}


def test_unknown_villages_and_roles_have_their_own_codes(db, personas):
    for args, code in (({"role": "supervisor", "area_codes": ["atlantis"]}, "400.76"),
                       ({"role": "mayor"}, "400.77")):
        try:
            accounts.create_user(db.session, "newcomer", "pw", realm="doorstep", **args)
        except Problem as p:
            assert p.code == code and "form definition" not in p.message_en
        else:
            raise AssertionError(f"{args} was accepted")


def test_the_cli_names_unknown_villages_as_villages(app, db, personas):
    result = app.test_cli_runner().invoke(users, [
        "create", "--username", "lihua", "--role", "supervisor", "--areas", "atlantis",
        "--password", "x"])
    assert result.exit_code != 0
    assert "Unknown villages: atlantis" in result.output and "未知的村" in result.output
    assert "form definition" not in result.output


def test_the_json_body_carries_the_code_as_a_string(client, personas, login):
    missing = client.get("/v1/projects/1/forms/no-such-form", headers=login("admin"))
    assert missing.status_code == 404 and missing.json["code"] == "404.2"
    refused = client.post("/v1/sessions", json={"email": "admin", "password": "nope"})
    assert refused.json["code"] == "401.2" and isinstance(refused.json["code"], str)
    assert set(refused.json) == {"code", "message", "message_zh", "details"}


def test_an_unknown_form_state_has_its_own_code(db, simple_form):
    try:
        publishing.set_state(db.session, simple_form.form, "retired")
    except Problem as p:
        assert p.code == "400.78" and "form definition" not in p.message_en
    else:
        raise AssertionError("retired was accepted")
