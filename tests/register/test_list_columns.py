"""Issue 16, item 16: a phone is sent only what its forms read. The columns of an entity list
are those the forms granted to it read (found in their XPath at publish, the same for every
form on the phone); a village-keyed choice file holds only her villages."""
import csv
import hashlib
import io

from app.auth import accounts
from app.forms.list_reads import list_reads
from tests.collect import CollectClient
from tests.factories import make_entity_xform
from tests.openrosa.docs import media_files
from tests.samples import SAMPLES, instance
from tests.samples.phone import fill_sample

H = 'xmlns:h="http://www.w3.org/1999/xhtml" xmlns="http://www.w3.org/2002/xforms"'


def _xform(model="", body=""):
    return (f'<h:html {H}><h:head><model><instance><data id="f"><w/><v/></data></instance>'
            '<instance id="people" src="jr://file-csv/people.csv"/>'
            '<instance id="places" src="jr://file-csv/villages.csv"/>'
            f'{model}</model></h:head><h:body>{body}</h:body></h:html>').encode()


def test_list_reads_finds_columns_in_binds_predicates_itemsets_outputs_and_pulldata():
    reads = list_reads(_xform(
        model="<bind nodeset='/data/w' calculate=\"instance('people')/root/item[name = /data/v"
              " and decimal-date-time(dob) &gt; 0]/full_name\" relevant=\"count(instance("
              "'people')/root/item[sex = 'female']) &gt; 0\"/>"
              "<bind nodeset='/data/v' calculate=\"pulldata('people', 'phone', 'name',"
              " /data/w)\"/>",
        body="<select1 ref='/data/v'><itemset nodeset=\"instance('places')/root/item\">"
             "<value ref='name'/><label ref='label'/></itemset></select1>"
             "<input ref='/data/w'><label><output value=\"instance('people')/root/item[name ="
             " /data/w]/household\"/></label></input>"))
    assert reads == {"people.csv": ["dob", "full_name", "household", "name", "phone", "sex"],
                     "villages.csv": ["label", "name"]}


def test_a_read_that_cannot_be_followed_counts_as_every_column():
    def reads(expression):
        return list_reads(_xform(model=f"<bind nodeset='/data/w' calculate=\"{expression}\"/>"))
    assert reads("instance('people')/root/item[1]/*")["people.csv"] == "*"
    assert reads("instance('people')/root/item[name = /data/v]")["people.csv"] == "*"
    assert reads("instance('people')//full_name")["people.csv"] == "*"
    assert reads("no-such-function(instance('people')/root/item/x)")["people.csv"] == "*"
    assert reads("count(instance('people')/root/item)")["people.csv"] == []


def _header(phone, form, name="people.csv"):
    entry = next(f for f in media_files(phone.get(f"{phone.base}/forms/{form}/manifest"))
                 if f["filename"] == name)
    response = phone.get(entry["downloadUrl"])
    assert response.status_code == 200
    return entry["hash"], next(csv.reader(io.StringIO(response.data.decode())))


def _phone(client, db, forms, villages=("dongwan",)):
    _user, token = accounts.create_app_user(db.session, 1, "phone", list(villages), forms)
    db.session.commit()
    return CollectClient(client, f"/v1/key/{token}/projects/1")


def test_a_list_has_the_columns_her_forms_read_the_same_in_every_form(client, publish, db):
    props = ("full_name", "village", "id_number", "phone")
    publish(make_entity_xform("register", "people", properties=props))
    publish(make_entity_xform("visit", "people", create=False, update=True, uses_list=True,
                              properties=props, reads=("full_name",)))
    publish(make_entity_xform("call", "people", create=False, update=True, uses_list=True,
                              properties=props, reads=("phone",)))
    both, visits = _phone(client, db, ["visit", "call"]), _phone(client, db, ["visit"])
    assert _header(both, "visit")[1] == _header(both, "call")[1] == [
        "name", "label", "__version", "full_name", "phone"]
    assert _header(visits, "visit")[1] == ["name", "label", "__version", "full_name"]


def test_the_hash_moves_when_a_granted_form_starts_reading_another_property(client, publish, db):
    props = ("full_name", "village", "id_number")
    publish(make_entity_xform("visit", "people", create=True, update=True, uses_list=True,
                              properties=props, reads=("full_name",)))
    phone = _phone(client, db, ["visit"])
    before, columns = _header(phone, "visit")
    assert columns == ["name", "label", "__version", "full_name"]
    publish(make_entity_xform("visit", "people", version="2", create=True, update=True,
                              uses_list=True, properties=props, reads=("full_name", "village")))
    after, columns = _header(phone, "visit")
    assert columns == ["name", "label", "__version", "full_name", "village"]
    assert after != before


def test_a_staff_member_gets_the_columns_every_form_reads(client, publish, db, login):
    props = ("full_name", "village", "id_number")
    publish(make_entity_xform("visit", "people", create=True, update=True, uses_list=True,
                              properties=props, reads=("full_name",)))
    staff = CollectClient(client, "/v1/projects/1", login("supervisor"))
    assert _header(staff, "visit")[1] == ["name", "label", "__version", "full_name"]


def test_villages_csv_holds_only_her_villages_and_its_hash_is_the_md5_served(town, client, db):
    phone = _phone(client, db, ["pregnancy_report"], villages=("dongwan", "xishan"))
    entry = next(f for f in media_files(phone.get(f"{phone.base}/forms/pregnancy_report/manifest"))
                 if f["filename"] == "villages.csv")
    served = phone.get(entry["downloadUrl"])
    rows = list(csv.reader(io.StringIO(served.data.decode())))
    assert [r[0] for r in rows] == ["name", "dongwan", "xishan"]
    assert entry["hash"] == "md5:" + hashlib.md5(served.data).hexdigest()
    assert served.headers["ETag"] == f'"{entry["hash"][4:]}"'
    worker = town.phone("worker_a")                                # dongwan alone
    town_entry = next(f for f in media_files(
        worker.get(f"{worker.base}/forms/pregnancy_report/manifest"))
        if f["filename"] == "villages.csv")
    assert town_entry["hash"] != entry["hash"]


def test_the_leaders_pregnancy_report_fills_in_odks_engine_from_the_narrowed_lists(
        town, client, db):
    """ODK's own form engine fills the leader's form from the lists her phone is now sent
    (no ID numbers, no other villages) and produces exactly the sample instance."""
    leader = _phone(client, db, ["pregnancy_report"])
    _hash, people = _header(leader, "pregnancy_report")
    assert "id_number" not in people and "household" not in people
    name = "pregnancy_reported_by_leader"
    filled = fill_sample(leader, name, SAMPLES[name])
    assert (filled.status, filled.violations) == ("ready", [])
    assert filled.xml == instance(name)
    assert leader.submit(filled.xml).status_code == 201


def test_a_closed_form_no_longer_widens_a_phones_lists(client, publish, db):
    from app.forms.queries import project_forms
    from app.forms.publish import set_state
    props = ("full_name", "village", "id_number")
    publish(make_entity_xform("visit", "people", create=True, update=True, uses_list=True,
                              properties=props, reads=("full_name",)))
    publish(make_entity_xform("check", "people", create=False, update=True, uses_list=True,
                              properties=props, reads=("id_number",)))
    phone = _phone(client, db, None)
    assert _header(phone, "visit")[1][3:] == ["full_name", "id_number"]
    set_state(db.session, next(f for f in project_forms(db.session, 1)
                               if f.xml_form_id == "check"), "closed")
    db.session.commit()
    assert _header(phone, "visit")[1][3:] == ["full_name"]
