"""`flask --app wsgi exports warm [FORM_ID]`: fill the kept export lines and segments
(app.exports.lines, app.exports.segments) of every form, or of the form with that xmlFormId,
so the first export after a deployment or after publishing a version whose columns changed
runs at the warm rate."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.db import db
from app.exports import central_csv
from app.exports.fields import export_fields
from app.forms.models import Form

exports = AppGroup("exports", help="Exports: fill the kept CSV lines and segments.")


@exports.command("warm")
@click.argument("form_id", required=False)
def warm(form_id):
    """Compute and keep the CSV lines of every current submission version not yet kept, and
    the segments of runs of submissions not yet kept."""
    query = select(Form).where(Form.current_version_id.is_not(None)).order_by(Form.id)
    if form_id:
        query = query.where(Form.xml_form_id == form_id)
    forms = db.session.scalars(query).all()
    if form_id and not forms:
        raise click.UsageError(f"no form {form_id!r}")
    plans = [(f.id, f.xml_form_id, export_fields(db.session, f)) for f in forms]
    db.session.rollback()       # the reads below run on connections of their own
    for fid, name, fields in plans:
        read, computed, kept = central_csv.warm(db.engine, fid, fields)
        click.echo(f"{name}: {read} submissions, {computed} lines computed, "
                   f"{kept} segments kept")
