"""A form's preview in the console: the media files ODK Web Forms needs to show the current
version of a form to a signed-in person, as a phone of her villages would get them (a village
file cut to her villages, app/forms/village_files.py) and its entity lists (only her villages'
rows, and only the properties this version reads: a preview discloses no more than the form
shows). Plain data out; app/web/preview.py serves it (the form itself through
app/forms/queries.readable_form), and audits each list it sends as the OpenRosa list
download is audited.
"""
from dataclasses import dataclass

from app.forms import village_files
from app.register import lists


@dataclass(frozen=True)
class MediaFile:
    name: str
    hash: str                   # hex MD5 (or, for a list, its change token) as a manifest lists it
    is_list: bool


def media(session, store, actor, project_id, version):
    """The version's media files that can be served, in the manifest's order."""
    return [MediaFile(a.name, _hash(session, store, actor, project_id, version, a),
                      a.dataset is not None)
            for a in version.attachments if a.served]


def list_columns(version, dataset):
    """The list's properties this version reads."""
    return lists.columns_read_by(dataset, version.list_reads)


def village_cut(session, store, actor, project_id, found):
    """(bytes, md5) of a village file cut to her villages, or None: send the blob whole."""
    return village_files.for_actor(session, store, project_id, actor, found.name, found.blob)


def _hash(session, store, actor, project_id, version, found):
    if found.dataset is not None:
        return lists.list_hash(session, found.dataset, actor, list_columns(version, found.dataset))
    cut = village_cut(session, store, actor, project_id, found)
    return cut[1] if cut else found.blob.md5
