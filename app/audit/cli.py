"""`flask audit verify` and `flask audit head`: check the audit log's hash chains and print a
chain's head (app.audit.verify). Run by the server's operator; they only read."""
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import text

from app.audit import verify as chains
from app.db import db

audit = AppGroup("audit", help="The audit log's hash chains. 审计日志的哈希链。")


def _name(project_id):
    return "system" if project_id is None else f"project {project_id}"


def _snapshot():
    """One consistent view of every chain and its head while appends go on."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


def _project_option(command):
    return click.option("--project", "project", type=int, default=None,
                        help="One project's chain (0: the system-wide chain); default: "
                             "every chain. 只查一个项目的链（0 为系统链）。")(command)


@audit.command("verify")
@_project_option
@click.option("--anchor", default=None, metavar="HASH",
              help="A head hash recorded earlier (a meeting's minutes): it must still be in "
                   "the chain. 此前记录的链头哈希，须仍在链中。")
def verify_command(project, anchor):
    """Walk each chain; print each chain's head and length, or the first broken link (its
    entry id and kind: edited, inserted, deleted, head) and exit 1."""
    if anchor is not None and project is None:
        raise click.UsageError("--anchor needs --project / --anchor 须与 --project 一起使用")
    _snapshot()
    wanted = chains.chains(db.session) if project is None else [project or None]
    failed = False
    for project_id in wanted:
        walked = chains.verify(db.session, project_id)
        if walked.broken is not None:
            failed = True
            b = walked.broken
            click.echo(f"{_name(project_id)}: BROKEN {b.kind} at entry {b.id}: {b.message}"
                       f" / 链已断开（{b.kind}，条目 {b.id}）")
            continue
        click.echo(f"{_name(project_id)}: ok, {walked.length} entries, head {walked.head}")
        if anchor is not None and anchor not in walked.hashes:
            failed = True
            click.echo(f"{_name(project_id)}: BROKEN anchor: {anchor} is not in the chain "
                       "(rewritten or cut since it was recorded) / 链中找不到此锚定哈希")
    db.session.rollback()
    if failed:
        sys.exit(1)


@audit.command("head")
@_project_option
def head_command(project):
    """Print a chain's head: its hash, length and when it last moved (UTC); without
    --project, one line per chain."""
    wanted = chains.chains(db.session) if project is None else [project or None]
    for project_id in wanted:
        found = chains.head(db.session, project_id)
        when = found.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ") if found.taken_at else "-"
        line = f"{found.hash} {found.length} {when}"
        click.echo(line if project is not None else f"{_name(project_id)}: {line}")
    db.session.rollback()
