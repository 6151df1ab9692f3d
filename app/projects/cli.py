"""`flask projects …`: the towns of a county on one server (docs/towns.md). Commands parse
options, call one domain function, commit, print."""
import click
from flask.cli import AppGroup

from app.db import db
from app.problems import Problem
from app.projects import service
from app.projects.service import DEFAULT_PROJECT_ID

projects = AppGroup("projects", help="Towns (projects) on this server.")


def project_option(help_="The town's project id (flask projects list)."):
    """`--project N` for a command that acts on one town (default: project 1)."""
    return click.option("--project", "project_id", type=int, default=DEFAULT_PROJECT_ID,
                        show_default=True, help=help_)


@projects.command("create")
@click.argument("name")
@click.option("--villages", "villages_csv", type=click.Path(exists=True, dir_okay=False),
              default=None, help="A villages CSV (as `flask areas import` reads) to load.")
def create_project(name, villages_csv):
    """Create a town; prints its project id (the N of /v1/projects/N)."""
    try:
        project = service.create_project(db.session, name)
    except Problem as p:
        raise click.ClickException(p.message_en + "\n" + p.message_zh) from None
    created = 0
    if villages_csv:
        created, _updated = service.import_areas(db.session, project.id, villages_csv)
    db.session.commit()
    click.echo(f"Created town {project.name} (project {project.id}) with {created} villages.")


@projects.command("list")
def list_projects():
    """Every town: id, name, villages."""
    for project, villages in service.summary(db.session):
        click.echo(f"{project.id}\t{project.name}\t{villages} villages")
