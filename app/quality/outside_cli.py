"""`flask quality import --kind hospital_births|household_registry FILE` (and `flask quality
rerun ID`): an outside list imported as the server's operator (every village), reconciled,
its figures printed. The `quality` group lives here until another part of issue 23 needs it."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.problems import Problem
from app.projects.service import DEFAULT_PROJECT_ID
from app.quality import outside
from app.quality.outside_files import KINDS

quality = AppGroup("quality", help="Register quality: outside lists and their reconciliation.")


def _echo(imported, figures):
    click.echo(f"import {imported.id} ({imported.kind}, {imported.filename}): "
               f"{imported.rows_kept} rows kept, {imported.rows_rejected} bad, "
               f"{imported.rows_skipped} skipped.")
    for bad in imported.rejected[:20]:
        click.echo(f"  {bad['en']} / {bad['zh']}")
    for line in figures["villages"] + [dict(figures["all"], village="(all)")]:
        click.echo(f"  {line['village']}: {line['matched']} matched, {line['omitted']} omitted, "
                   f"{line['extra']} extra; accuracy {line['accuracy']}%")


@quality.command("import")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(kind, path):
    """Import a hospital's births or the household registry (CSV or XLSX) and reconcile it."""
    limit = current_app.config.get("OUTSIDE_MAX_BYTES", outside.MAX_BYTES)
    with open(path, "rb") as f:
        data = f.read(limit + 1)          # no more than the limit is read into memory
    try:
        imported, created = outside.import_file(db.session, None, DEFAULT_PROJECT_ID, kind,
                                                path.rsplit("/", 1)[-1], data, limit)
        figures = outside.accuracy(db.session, None, DEFAULT_PROJECT_ID, imported.id)
    except Problem as problem:
        raise click.ClickException(problem.message_en + "\n" + problem.message_zh) from None
    db.session.commit()
    if not created:
        click.echo("The same file was imported before: nothing changed.")
    _echo(imported, figures)


@quality.command("rerun")
@click.argument("import_id", type=int)
def rerun_command(import_id):
    """Reconcile an import again with today's register."""
    try:
        imported = outside.rerun(db.session, None, DEFAULT_PROJECT_ID, import_id)
        figures = outside.accuracy(db.session, None, DEFAULT_PROJECT_ID, imported.id)
    except Problem as problem:
        raise click.ClickException(problem.message_en + "\n" + problem.message_zh) from None
    db.session.commit()
    _echo(imported, figures)
