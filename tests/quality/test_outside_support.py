"""What the outside-list tests share (no tests of its own): a small register of mothers and
residents in two villages, births reported through intake with a test-only birth form and
deriver (so the life events are real), and the outside files written as CSV or XLSX with
Chinese or English headers."""
import csv
import io
import uuid

import openpyxl
import pytest
from sqlalchemy import select

from app.events import derive
from app.events.derive import Event
from app.projects.models import Area
from app.register import entities
from app.register.models import Dataset
from tests.collect import CollectClient
from tests.factories import make_instance, make_xlsform, new_instance_id

FORM_ID = "outside_birth_probe"
HOSPITAL_ZH = ["出生医学证明编号", "母亲姓名", "母亲身份证号", "婴儿性别", "出生日期", "分娩医院", "村",
               "父亲姓名"]
HOSPITAL_EN = ["certificate_no", "mother_name", "mother_id_number", "sex", "birth_date",
               "hospital", "village", "father_name"]
REGISTRY_ZH = ["公民身份号码", "姓名", "性别", "出生日期", "村", "户号", "与户主关系"]
REGISTRY_EN = ["id_number", "name", "sex", "dob", "village", "household_no", "relation"]

# mothers (and residents): uuid, name, id number, sex, dob, village
MOTHERS = {
    "wang": ("d0000000-0000-4000-8000-000000000001", "王芳", "610425199001010021", "female",
             "1990-01-01", "dongwan"),
    "li": ("d0000000-0000-4000-8000-000000000002", "李娜", "610425199202020042", "female",
           "1992-02-02", "dongwan"),
    "zhao": ("d0000000-0000-4000-8000-000000000003", "赵敏", "610425199303030063", "female",
             "1993-03-03", "xishan"),
    "chen": ("d0000000-0000-4000-8000-000000000004", "陈静", "", "female", "1994-04-04",
             "dongwan"),
}


def probe_xlsform():
    def row(name):
        return {"type": "text", "name": name, "label::Chinese (zh)": name,
                "label::English (en)": name}
    return make_xlsform([row("village"), {"type": "date", "name": "event_date",
                                          "label::Chinese (zh)": "日期",
                                          "label::English (en)": "Date"},
                         row("child"), row("mother"), row("sex"), row("certificate")],
                        settings={"form_id": FORM_ID, "version": "1",
                                  "default_language": "Chinese (zh)"})


def probe_deriver(a):
    yield Event("birth", a.date("event_date"), person=a.get("child") or None,
                other_person=a.get("mother") or None,
                details={"sex": a.get("sex"), "certificate_no": a.get("certificate")})


@pytest.fixture
def births(publish, client, personas):
    """births(mother key, date, sex, certificate='') reports a birth through intake from the
    phone of the village's worker (worker a: dongwan, worker b: xishan); the child's uuid."""
    publish(probe_xlsform(), filename=f"{FORM_ID}.xlsx")
    derive.deriver(FORM_ID, yields=("birth",))(probe_deriver)
    phones = {v: CollectClient(client, f"/v1/key/{personas[p].token}/projects/1")
              for v, p in (("dongwan", "worker_a"), ("xishan", "worker_b"))}

    def _birth(mother, day, sex, certificate="", village=None):
        m = MOTHERS[mother]
        child = str(uuid.uuid4())
        xml = make_instance(FORM_ID, "1", instance_id=new_instance_id(), values={
            "village": village or m[5], "event_date": day, "child": child, "mother": m[0],
            "sex": sex, "certificate": certificate})
        response = phones[village or m[5]].submit(xml)
        assert response.status_code == 201, response.data
        return child
    yield _birth
    derive.DERIVERS.pop(FORM_ID, None)
    derive.YIELDS.pop(FORM_ID, None)


def seed_people(session, extra=()):
    """The mothers (and `extra` people: (uuid, name, id, sex, dob, village, more…)) in a
    people list; returns {key: uuid}."""
    dataset = session.scalar(select(Dataset).where(Dataset.project_id == 1,
                                                   Dataset.name == "people"))
    if dataset is None:
        dataset = Dataset(project_id=1, name="people")
        session.add(dataset)
        session.flush()
    areas = dict(session.execute(select(Area.code, Area.id)).all())
    for person in list(MOTHERS.values()) + list(extra):
        u, name, id_number, sex, dob, village, *more = person
        data = {"full_name": name, "id_number": id_number, "sex": sex, "dob": dob,
                "village": village, "residence_status": "resident", "deceased": "no"}
        data.update(*more)
        entities.create(session, dataset, name, data, uuid=u, area_id=areas[village])
    session.commit()


def csv_bytes(header, rows, encoding="utf-8-sig"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write(fmt, header, rows):
    return xlsx_bytes(header, rows) if fmt == "xlsx" else csv_bytes(header, rows)
