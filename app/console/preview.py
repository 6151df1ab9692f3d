"""A form's preview in the console: the files ODK Web Forms needs to show the current version
of a form to a signed-in person, as a phone of her villages would get them: the XForm, its
media files (a village file cut to her villages, app/forms/village_files.py) and its entity
lists (only her villages' rows, and only the properties this form reads: a preview discloses
no more than the form shows). Plain data out; app/web/preview.py serves it, and audits each
list it sends as the OpenRosa list download is audited.
"""
from dataclasses import dataclass

from app.forms import village_files
from app.forms.list_reads import EVERY
from app.forms.queries import readable_form
from app.problems import Problem
from app.register import lists


@dataclass(frozen=True)
class MediaFile:
    name: str
    hash: str                   # hex MD5 (or, for a list, its change token) as a manifest lists it
    is_list: bool


def current(session, actor, project_id, xml_form_id):
    """(form, current version) the person may preview; 404.2 for an unknown form."""
    return readable_form(session, actor, project_id, xml_form_id)


def media(session, store, actor, project_id, version):
    """The version's media files that can be served, in the manifest's order."""
    return [MediaFile(a.name, _hash(session, store, actor, project_id, version, a),
                      a.dataset is not None)
            for a in version.attachments if a.blob is not None or a.dataset is not None]


def attachment(version, name):
    """The version's served media file called `name`; 404.1 when there is none."""
    found = next((a for a in version.attachments
                  if a.name == name and (a.blob is not None or a.dataset is not None)), None)
    if found is None:
        raise Problem("404.1")
    return found


def list_columns(version, dataset):
    """The list's properties this version reads (all of them when it was published before
    what forms read was kept)."""
    reads = version.list_reads
    wanted = EVERY if reads is None else reads.get(f"{dataset.name}.csv", ())
    return [p.name for p in dataset.properties if wanted == EVERY or p.name in wanted]


def village_cut(session, store, actor, project_id, found):
    """(bytes, md5) of a village file cut to her villages, or None: send the blob whole."""
    return village_files.for_actor(session, store, project_id, actor, found.name, found.blob)


def _hash(session, store, actor, project_id, version, found):
    if found.dataset is not None:
        return lists.list_hash(session, found.dataset, actor, list_columns(version, found.dataset))
    cut = village_cut(session, store, actor, project_id, found)
    return cut[1] if cut else found.blob.md5
