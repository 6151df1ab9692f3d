"""A phone filling the town's forms: download a form and its media over OpenRosa as one
persona, then fill it with ODK's own engine (@getodk/xforms-engine) at FILLED_AT."""
from lxml import etree

from tests.engine import fill
from tests.samples import FILLED_AT

MANIFEST = "http://openrosa.org/xforms/xformsManifest"


def download(collect, form_id):
    """(XForm bytes, {media file name: text}) exactly as this phone would get them."""
    form = collect.get(f"{collect.base}/forms/{form_id}.xml")
    assert form.status_code == 200, form.data
    manifest = collect.get(f"{collect.base}/forms/{form_id}/manifest")
    assert manifest.status_code == 200, manifest.data
    media = {}
    for entry in etree.fromstring(manifest.data).iter(f"{{{MANIFEST}}}mediaFile"):
        name = entry.findtext(f"{{{MANIFEST}}}filename")
        response = collect.get(entry.findtext(f"{{{MANIFEST}}}downloadUrl"))
        assert response.status_code == 200, (name, response.status_code)
        media[name] = response.data.decode("utf-8")
    return form.data, media


def fill_form(collect, form_id, answers, repeats=None, seed="sample", options=()):
    xform, media = download(collect, form_id)
    return fill(xform, answers, repeats=repeats, secondary=media, now=FILLED_AT, seed=seed,
                options=options)


def fill_sample(collect, name, sample):
    """The sample's answers filled on this phone; uuids seeded by the sample's name."""
    return fill_form(collect, sample.form, sample.answers, sample.repeats, seed=name)
