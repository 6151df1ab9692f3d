"""The data a backup test needs: a form with a photo, an entity list read by an update form,
and submissions of both as worker_a's phone sends them."""
import os
import uuid

from tests.factories import make_entity_xform, make_instance, make_xform

PROPS = ("full_name", "village")


def publish_forms(publish):
    publish(make_xform("visit", "1", binary=["photo"]))
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))


def visit(photo=None):
    """(instance XML, {name: bytes}) of a visit with a random photo."""
    xml = make_instance("visit", instance_id=f"uuid:{uuid.uuid4()}", values={"photo": "p.jpg"})
    return xml, {"p.jpg": photo or os.urandom(3000)}


def person(name):
    """Instance XML creating a person in dongwan."""
    return (f'<data id="people_form" version="1"><full_name>{name}</full_name>'
            f'<village>dongwan</village><meta><instanceID>uuid:{uuid.uuid4()}</instanceID>'
            f'<entity dataset="people" id="{uuid.uuid4()}" create="1" baseVersion="" '
            f'trunkVersion="" branchId=""><label>{name}</label></entity></meta></data>'
            ).encode()
