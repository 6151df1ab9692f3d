"""Browser forms: ODK Web Forms served by Doorstep itself, for people with no ODK Collect
(the women's group leaders), opened from a link on any phone's browser and usable offline.

`assets.py` installs the engine's files from the npm packages (plain, no Flask); `pages.py`
holds the routes (a link's forms list and form pages, the service worker, the engine's
files); `policy.py` their security and caching headers; `cli.py` `flask webforms install`.
The pages' script (`static/`) talks to the link's OpenRosa endpoints only, so what a browser
may read and send is exactly what Collect with the same key may. Register with
`app.webforms.register(app)`.
"""


def register(app):
    from app.webforms import cli
    from app.webforms.pages import bp
    app.register_blueprint(bp)
    app.cli.add_command(cli.webforms)
