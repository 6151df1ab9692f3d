"""Small XForms for the export tests: every shape Central's export treats apart (a group, a
repeat inside a group, a repeat inside a repeat, a geopoint, a select multiple with inline
items, labels in two languages, a field that a later version drops)."""

NS = ('xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
      'xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms"')


def survey(version="1", with_old=True):
    """`survey`: name, (old_q in v1), place (geopoint), pets (select multiple), a group `hh`
    holding a repeat `person` (age, and a repeat `visit` holding `day`), meta/instanceID."""
    old = "<old_q/>" if with_old else ""
    old_bind = '<bind nodeset="/data/old_q" type="string"/>' if with_old else ""
    return f"""<?xml version="1.0"?>
<h:html {NS}><h:head><h:title>Survey</h:title><model>
<itext><translation lang="English (en)" default="true()">
<text id="/data/name:label"><value>Name</value></text>
<text id="/data/pets/cat:label"><value>Cat</value></text>
</translation><translation lang="Chinese (zh)">
<text id="/data/name:label"><value>姓名</value></text>
<text id="/data/pets/cat:label"><value>猫</value></text>
</translation></itext>
<instance><data id="survey" version="{version}"><name/>{old}<place/><pets/>
<hh><person jr:template=""><age/><visit jr:template=""><day/></visit></person>
<person><age/><visit><day/></visit></person></hh>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/name" type="string"/>{old_bind}
<bind nodeset="/data/place" type="geopoint"/>
<bind nodeset="/data/pets" type="string"/>
<bind nodeset="/data/hh/person/age" type="int"/>
<bind nodeset="/data/hh/person/visit/day" type="date"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body>
<input ref="/data/name"><label ref="jr:itext('/data/name:label')"/></input>
<input ref="/data/place"><label>Place</label></input>
<select ref="/data/pets"><label>Pets</label>
<item><label ref="jr:itext('/data/pets/cat:label')"/><value>cat</value></item>
<item><label>Dog</label><value>dog</value></item></select>
<group ref="/data/hh"><label>Household</label>
<group ref="/data/hh/person"><label>Person</label><repeat nodeset="/data/hh/person">
<input ref="/data/hh/person/age"><label>Age</label></input>
<repeat nodeset="/data/hh/person/visit"><input ref="/data/hh/person/visit/day">
<label>Day</label></input></repeat></repeat></group></group>
</h:body></h:html>""".encode()


def survey_instance(iid="uuid:s1", name="Ann", version="1", extra=""):
    return (f'<data id="survey" version="{version}"><name>{name}</name><old_q>gone</old_q>'
            f'<place>31.2 121.5 4 10</place><pets>cat dog</pets>'
            f'<hh><person><age>40</age><visit><day>2026-01-01</day></visit>'
            f'<visit><day>2026-02-01</day></visit></person>'
            f'<person><age>12</age></person></hh>{extra}'
            f'<meta><instanceID>{iid}</instanceID></meta></data>').encode()
