"""`flask --app wsgi storage migrate --to s3|local`: move every blob between the local store
(DOORSTEP_DATA_DIR) and the S3 store (DOORSTEP_STORAGE_URL), checking each SHA-256
(app/storage/migrate.py). Exits non-zero when any blob could not be copied."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.audit.record import record
from app.db import db
from app.problems import Problem
from app.storage import migrate, stores

storage = AppGroup("storage", help="Where attachments and form media are kept.")


@storage.command("migrate")
@click.option("--to", "to", type=click.Choice(["s3", "local"]), required=True,
              help="s3: copy local files to DOORSTEP_STORAGE_URL; local: copy them back.")
@click.option("--verify", is_flag=True, help="Also read back the copies the target already "
              "has and check their SHA-256 (slower; the default trusts a copy of the right size).")
def migrate_command(to, verify):
    """Copy every blob to the other store, verifying each; safe to run again after a stop."""
    try:
        local, s3 = stores.local(current_app.config), stores.s3(current_app.config)
    except ValueError as e:
        raise click.UsageError(str(e))
    source, target = (local, s3) if to == "s3" else (s3, local)

    def progress(sha256, result):
        if result not in ("copied", "present"):
            click.echo(f"{sha256}: {result}", err=True)
    try:
        outcome = migrate.copy_all(migrate.blob_rows(db.session), source, target, verify,
                                   progress)
    except Problem as p:
        raise click.ClickException(p.message_en + "\n" + p.message_zh)
    failed = len(outcome.failures)
    # every attachment passed through this command: who moved them, and where, is kept
    record(db.session, None, "storage.migrate", f"store:{to}", copied=outcome.copied,
           present=outcome.present, failed=failed, verify=verify)
    db.session.commit()
    click.echo(f"{outcome.copied} copied, {outcome.present} already there, {failed} failed.")
    click.echo(f"已复制 {outcome.copied} 个，目标已有 {outcome.present} 个，失败 {failed} 个。")
    if outcome.failures:
        raise click.exceptions.Exit(1)
