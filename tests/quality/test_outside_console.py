"""The reconciliation pages through the Flask client: an upload by form, its redirect to the
lists, the audit row of each read, a bad file shown on the page in the chosen language, and
another village's import not found."""
import io

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.quality.test_outside_import import hospital_rows
from tests.quality.test_outside_support import HOSPITAL_EN, seed_people, write
from tests.web.conftest import sign_in
from tests.web.test_route_policy import _csrf


def signed_in(app, who, password):
    client = app.test_client()
    assert sign_in(app, client, who, password).status_code == 303
    return client


def upload(app, client, data, name="births.csv", **more):
    return client.post("/reconcile", data={"csrf": _csrf(app, client), "kind": "hospital_births",
                                           "file": (io.BytesIO(data), name), **more},
                       content_type="multipart/form-data")


def test_upload_by_form_then_read_the_lists_audited(app, db, personas):
    seed_people(db.session)
    client = signed_in(app, "supervisor", personas["supervisor"].password)
    made = upload(app, client, write("csv", HOSPITAL_EN, hospital_rows()))
    assert made.status_code == 303 and "/reconcile/" in made.headers["Location"]
    page = client.get(made.headers["Location"] + "?status=omitted")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "H004" in text and "补录出生" in text
    assert "H003" not in text                               # xishan's row was skipped
    english = client.get(made.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Record the birth" in english
    reads = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(["outside.import", "outside.read"])).order_by(AuditEvent.id)).all()
    assert reads == ["outside.import", "outside.read", "outside.read"]
    overview = client.get("/reconcile").get_data(as_text=True)
    assert "births.csv" in overview and "0.00%" in overview
    outsider = signed_in(app, "viewer", personas["viewer"].password)
    assert outsider.get(made.headers["Location"]).status_code == 200       # the town's viewer


def test_a_bad_file_is_shown_on_the_page_and_another_village_is_refused(app, db, personas):
    client = signed_in(app, "supervisor", personas["supervisor"].password)
    bad = upload(app, client, "姓名\n王芳\n".encode())
    assert bad.status_code == 400 and "缺少必填列" in bad.get_data(as_text=True)
    refused = upload(app, client, b"x", village="xishan")
    assert refused.status_code == 403
