"""`flask quality import --kind hospital_births|household_registry FILE` (and `flask quality
rerun ID`): an outside list imported as the server's operator (every village), reconciled,
its figures printed. Both join the `quality` group of app/cli.py."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.db import db
from app.problems import Problem
from app.projects.cli import project_option
from app.quality import outside
from app.quality.outside_files import KINDS

def _echo(imported, figures):
    click.echo(f"import {imported.id} ({imported.kind}, {imported.filename}): "
               f"{imported.rows_kept} rows kept, {imported.rows_rejected} bad, "
               f"{imported.rows_skipped} skipped.")
    for bad in imported.rejected[:20]:
        click.echo(f"  {bad['en']} / {bad['zh']}")
    for line in figures["villages"] + [dict(figures["all"], village="(all)")]:
        click.echo(f"  {line['village']}: {line['matched']} matched, {line['omitted']} omitted, "
                   f"{line['extra']} extra; accuracy {line['accuracy']}%")


@click.command("import")
@with_appcontext
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@project_option()
def import_command(kind, path, project_id):
    """Import a hospital's births or the household registry (CSV or XLSX) and reconcile it."""
    limit = current_app.config.get("OUTSIDE_MAX_BYTES", outside.MAX_BYTES)
    with open(path, "rb") as f:
        data = f.read(limit + 1)          # no more than the limit is read into memory
    try:
        imported, created = outside.import_file(db.session, None, project_id, kind,
                                                path.rsplit("/", 1)[-1], data, limit)
        figures = outside.accuracy(db.session, None, project_id, imported.id)
    except Problem as problem:
        raise click.ClickException(problem.message_en + "\n" + problem.message_zh) from None
    db.session.commit()
    if not created:
        click.echo("The same file was imported before: nothing changed.")
    _echo(imported, figures)


@click.command("rerun")
@with_appcontext
@click.argument("import_id", type=int)
@project_option()
def rerun_command(import_id, project_id):
    """Reconcile an import again with today's register."""
    try:
        imported = outside.rerun(db.session, None, project_id, import_id)
        figures = outside.accuracy(db.session, None, project_id, imported.id)
    except Problem as problem:
        raise click.ClickException(problem.message_en + "\n" + problem.message_zh) from None
    db.session.commit()
    _echo(imported, figures)
