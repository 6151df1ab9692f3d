"""Central's own OData test cases, replayed: the doubleRepeat form and submission of
central-backend's test/data/xml.js, and the bodies its test/integration/api/odata.js expects
(row ids, parent keys, navigation links, nextLink with $skiptoken), compared exactly but for
the server's address. The instance declares its orx: prefix here: Central's fixture leaves it
undeclared, which its lenient parser takes and an XML parser (Doorstep's intake) refuses."""
import json

import pytest

from tests.collect import CollectClient

DOUBLE_REPEAT = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:ev="http://www.w3.org/2001/xml-events" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
  <h:head>
    <h:title>doubleRepeat</h:title>
    <model>
      <instance>
        <data id="doubleRepeat" version="1.0">
          <orx:meta>
            <orx:instanceID/>
          </orx:meta>
          <name/>
          <children>
            <child>
              <name/>
              <toys>
                <toy>
                  <name/>
                </toy>
              </toys>
            </child>
          </children>
        </data>
      </instance>
      <bind nodeset="/data/orx:meta/orx:instanceID" preload="uid" type="string"/>
      <bind nodeset="/data/name" type="string"/>
      <bind nodeset="/data/children/child/name" type="string"/>
      <bind nodeset="/data/children/child/toys/toy/name" type="string"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/data/name">
      <label>What is your name?</label>
    </input>
    <group ref="/data/children/child">
      <label>Child</label>
      <repeat nodeset="/data/children/child">
        <input ref="/data/children/child/name">
          <label>What is the child's name?</label>
        </input>
        <group ref="/data/children/child/toys">
          <label>Child</label>
          <repeat nodeset="/data/children/child/toys/toy">
            <input ref="/data/children/child/toys/toy/name">
              <label>What is the toy's name?</label>
            </input>
          </repeat>
        </group>
      </repeat>
    </group>
  </h:body>
</h:html>"""

DOUBLE = """<data id="doubleRepeat" version="1.0" xmlns:orx="http://openrosa.org/xforms">
    <orx:meta><orx:instanceID>double</orx:instanceID></orx:meta>
    <name>Vick</name>
    <children>
      <child>
        <name>Alice</name>
      </child>
      <child>
        <name>Bob</name>
        <toys>
          <toy><name>Twilight Sparkle</name></toy>
          <toy><name>Pinkie Pie</name></toy>
          <toy><name>Applejack</name></toy>
          <toy><name>Spike</name></toy>
        </toys>
      </child>
      <child>
        <name>Chelsea</name>
        <toys>
          <toy><name>Rainbow Dash</name></toy>
          <toy><name>Rarity</name></toy>
          <toy><name>Fluttershy</name></toy>
          <toy><name>Princess Luna</name></toy>
        </toys>
      </child>
    </children>
  </data>""".encode()

SVC = "http://localhost/v1/projects/1/forms/doubleRepeat.svc"
BOB = "b6e93a81a53eed0566e65e472d4a4b9ae383ee6d"
CHELSEA = "8954b393f82c1833abb19be08a3d6cb382171f54"


@pytest.fixture
def double(publish, client, personas, login):
    publish(DOUBLE_REPEAT, filename="doubleRepeat.xml")
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    assert phone.submit(DOUBLE).status_code == 201
    headers = login("admin")
    return lambda path: json.loads(client.get(path, headers=headers).get_data())


def test_subtable_of_one_submission_as_central(double):
    body = double("/v1/projects/1/forms/doubleRepeat.svc/Submissions('double')/children/child")
    assert body == {
        "@odata.context": f"{SVC}/$metadata#Submissions.children.child",
        "value": [{
            "__id": "46ebf42ee83ddec5028c42b2c054402d1e700208",
            "__Submissions-id": "double",
            "name": "Alice",
            "toys": {}
        }, {
            "__id": BOB,
            "__Submissions-id": "double",
            "name": "Bob",
            "toys": {
                "toy@odata.navigationLink":
                    f"Submissions('double')/children/child('{BOB}')/toys/toy"
            }
        }, {
            "__id": CHELSEA,
            "__Submissions-id": "double",
            "name": "Chelsea",
            "toys": {
                "toy@odata.navigationLink":
                    f"Submissions('double')/children/child('{CHELSEA}')/toys/toy"
            }
        }]}


def test_subtable_paging_gives_centrals_skiptoken(double):
    body = double("/v1/projects/1/forms/doubleRepeat.svc/Submissions('double')/children/child"
                  "?$top=1&$skip=1")
    assert body == {
        "@odata.context": f"{SVC}/$metadata#Submissions.children.child",
        "@odata.nextLink": f"{SVC}/Submissions('double')/children/child?%24top=1&%24skiptoken="
                           "01eyJyZXBlYXRJZCI6ImI2ZTkzYTgxYTUzZWVkMDU2NmU2NWU0NzJkNGE0YjlhZTM4M2"
                           "VlNmQifQ%3D%3D",
        "value": [{
            "__id": BOB,
            "__Submissions-id": "double",
            "name": "Bob",
            "toys": {
                "toy@odata.navigationLink":
                    f"Submissions('double')/children/child('{BOB}')/toys/toy"
            }
        }]}


def test_nested_repeat_table_keys_rows_by_their_parent(double):
    body = double("/v1/projects/1/forms/doubleRepeat.svc/Submissions.children.child.toys.toy")
    assert [(r["name"], r["__Submissions-children-child-id"]) for r in body["value"]] == [
        ("Twilight Sparkle", BOB), ("Pinkie Pie", BOB), ("Applejack", BOB), ("Spike", BOB),
        ("Rainbow Dash", CHELSEA), ("Rarity", CHELSEA), ("Fluttershy", CHELSEA),
        ("Princess Luna", CHELSEA)]


def test_root_row_as_central(double):
    body = double("/v1/projects/1/forms/doubleRepeat.svc/Submissions")
    [row] = body["value"]
    row.pop("__system")
    assert row == {"__id": "double", "meta": {"instanceID": "double"}, "name": "Vick",
                   "children": {"child@odata.navigationLink":
                                "Submissions('double')/children/child"}}
