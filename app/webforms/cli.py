"""`flask webforms install`: put ODK Web Forms' files where the server serves them from."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.webforms import assets


# AppGroup, as app/cli.py's groups: each command runs in the app's context wherever the group
# is invoked from (the flask command pushes one itself; the test runner does not)
webforms = AppGroup("webforms", help="ODK Web Forms, for filling forms in a browser.")


@webforms.command("install")
@click.option("--from-node-modules", "node_modules", default=None,
              type=click.Path(file_okay=False, exists=True),
              help="Take the packages from an npm-installed node_modules instead of the registry.")
@click.option("--registry", default=assets.REGISTRY, show_default=True,
              help="An npm registry (or a mirror of it) to download from.")
def install(node_modules, registry):
    """Download (or copy) the pinned @getodk/web-forms and vue, check them, and install them."""
    directory = current_app.config["WEBFORMS_DIR"]
    try:
        done = assets.install(directory, node_modules=node_modules, registry=registry)
    except assets.AssetsError as error:
        raise click.ClickException(str(error))
    click.echo(f"ODK Web Forms {assets.tag()} {'installed in' if done else 'already in'} "
               f"{directory}")


def install_for_setup(echo=click.echo):
    """What `flask setup` does: install, and say so plainly if it cannot (no connection)."""
    try:
        assets.install(current_app.config["WEBFORMS_DIR"])
    except assets.AssetsError as error:
        echo(f"Browser forms not installed ({error}); Collect works. Later: "
             "flask --app wsgi webforms install\n"
             f"浏览器表单未安装（{error}）；Collect 可正常使用。稍后运行：flask --app wsgi webforms install")
