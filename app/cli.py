"""Command-line interface: `flask setup`, `flask users …`, `flask app-users …`, `flask forms …`,
`flask areas …`, `flask projects …` (app/projects/cli.py), `flask submissions …`,
`flask register …`, `flask demo town`, `flask reports …` (app/reports/cli.py), `flask storage …`
(app/storage/cli.py), `flask backup …` and `flask restore`. Commands parse options, call one
domain function, commit, print; those acting on one town take `--project`."""
import getpass
import glob
import os
import secrets
import socket

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from app.auth import accounts, provisioning, web_sessions
from app.auth.models import ROLES, AppUser, User
from app.backup import BackupError, manifest as backup_manifest, restore as restoring, snapshot
from app.db import db
from app.forms import dictionary
from app.forms import publish as publishing
from app.forms.compile import odk_validate_unavailable
from app.forms.models import Form, FormVersion
from app.problems import Problem
from app.projects.cli import project_option
from app.projects.models import Project
from app.projects.service import DEFAULT_PROJECT_ID, ensure_default_project, import_areas
from app.register import merge, rebuild
from app.register.models import RegisterEvent
from app.validation import service as validation

users = AppGroup("users", help="Web users (admin / supervisor / viewer).")
app_users = AppGroup("app-users", help="App users: field keys for phones.")
forms = AppGroup("forms", help="Publish and manage forms.")
areas = AppGroup("areas", help="Villages of the town.")
submissions = AppGroup("submissions", help="Stored submissions.")
register_group = AppGroup("register", help="The register (entity lists).")
demo = AppGroup("demo", help="A synthetic town for trying Doorstep out and measuring it.")
quality = AppGroup("quality", help="Register quality: duplicates, omissions, outside lists.")


def register(app):
    from app.reports.cli import reports
    from app.projects.cli import projects
    for group in (users, app_users, forms, areas, submissions, register_group, demo, reports,
                  quality, projects):
        app.cli.add_command(group)
    app.cli.add_command(setup)
    app.cli.add_command(backup)
    app.cli.add_command(restore_command)
    from app.webhooks.cli import webhooks
    app.cli.add_command(webhooks)
    from app.exports.cli import exports
    app.cli.add_command(exports)
    from app.storage.cli import storage
    app.cli.add_command(storage)
    from app.audit.cli import audit
    app.cli.add_command(audit)
    from app.quality.outside_cli import import_command, rerun_command
    quality.add_command(import_command)
    quality.add_command(rerun_command)


def _town(project_id):
    """The town to act on: project 1 is made on first use (as before towns), another must
    exist (`flask projects create`)."""
    if project_id == DEFAULT_PROJECT_ID:
        return ensure_default_project(db.session, current_app.config["PROJECT_NAME"])
    project = db.session.get(Project, project_id)
    if project is None:
        _fail(Problem("404.341", {"project": project_id}))
    return project


def _codes(value):
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _fail(problem):
    raise click.ClickException(problem.message_en + "\n" + problem.message_zh)


@users.command("create")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--areas", "area_codes", default="", help="Comma-separated village codes; "
              "default: every village.")
@project_option("Her town (an admin works in every town).")
def create_user(username, password, role, area_codes, project_id):
    """Create a web user."""
    try:
        user = accounts.create_user(db.session, username, password, role,
                                    current_app.config["AUTH_REALM"], _codes(area_codes),
                                    project_id=project_id,
                                    hash_method=current_app.config["PASSWORD_HASH"])
    except Problem as p:
        _fail(p)
    db.session.commit()
    click.echo(f"Created {role} {user.username} (id {user.id}).")


@users.command("grant")
@click.argument("username")
@click.option("--project", "project_id", type=int, required=True, help="The town's project id.")
@click.option("--areas", "area_codes", default="", help="Comma-separated village codes of that "
              "town, for village staff; default: none more (town-wide staff see them all).")
def grant_user(username, project_id, area_codes):
    """Make a web user a member of one more town (county staff work in several)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    try:
        accounts.grant_project(db.session, user, project_id, _codes(area_codes))
    except Problem as p:
        _fail(p)
    web_sessions.close_all(db.session, user.id)     # her console picks the new town up afresh
    db.session.commit()
    click.echo(f"{username} now works in towns {', '.join(str(p.id) for p in user.projects)}.")


@users.command("revoke")
@click.argument("username")
@click.option("--project", "project_id", type=int, required=True, help="The town's project id.")
def revoke_user(username, project_id):
    """Take a town from a web user (she no longer works there), with her villages there."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    try:
        accounts.revoke_project(db.session, user, project_id)
    except Problem as p:
        _fail(p)
    web_sessions.close_all(db.session, user.id)     # no page of that town stays open to her
    db.session.commit()
    left = ", ".join(str(p.id) for p in user.projects) or "none"
    click.echo(f"{username} now works in towns {left}.")


@users.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(username, password):
    """Set a web user's password."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    accounts.set_password(db.session, user, password, current_app.config["AUTH_REALM"],
                          hash_method=current_app.config["PASSWORD_HASH"])
    web_sessions.close_all(db.session, user.id)     # whoever knew the old one is signed out
    db.session.commit()
    click.echo("Password changed; her console and API sessions ended.")


@users.command("unlock")
@click.argument("username", required=False)
@click.option("--address", default=None, help="Lift the hold on this client address instead "
              "(or as well).")
def unlock_user(username, address):
    """Forget failed log-ins of a user name (and/or an address): lifts a 429 hold at once."""
    if username is None and address is None:
        raise click.UsageError("Give a user name, --address, or both.")
    from app.auth import throttle
    count = throttle.unlock(db.engine, username, address)
    click.echo(f"Forgot {count} failed log-in(s).")


def public_url(base_url=None):
    """The address phones use: --base-url, else DOORSTEP_PUBLIC_URL, else this host on :8000."""
    if base_url or current_app.config["PUBLIC_URL"]:
        return (base_url or current_app.config["PUBLIC_URL"]).rstrip("/")
    try:
        host = socket.gethostbyname(socket.gethostname())
    except OSError:
        host = "127.0.0.1"
    return f"http://{host}:8000"


@app_users.command("create")
@click.option("--name", required=True, help="Display name, e.g. the field worker's name.")
@click.option("--areas", "area_codes", default="", help="Comma-separated village codes; "
              "default: every village.")
@click.option("--forms", "form_ids", default="", help="Comma-separated form ids; default: "
              "every form, including ones published later.")
@click.option("--base-url", default=None, help="Public URL of this server.")
@click.option("--qr", "qr_path", default=None, help="Where to write the QR code PNG.")
@project_option("The phone's town.")
def create_app_user(name, area_codes, form_ids, base_url, qr_path, project_id):
    """Create a field key and print how to configure ODK Collect with it."""
    project = _town(project_id)
    try:
        app_user, token = accounts.create_app_user(db.session, project.id, name,
                                                   _codes(area_codes), _codes(form_ids))
    except Problem as p:
        _fail(p)
    db.session.commit()
    qr_path = qr_path or os.path.join(current_app.instance_path, f"app-user-{app_user.id}.png")
    click.echo(describe_phone_setup(app_user, token, project.name, base_url, qr_path))


def describe_phone_setup(app_user, token, project_name, base_url, qr_path):
    server_url = f"{public_url(base_url)}/v1/key/{token}/projects/{app_user.project_id}"
    payload = provisioning.encode(provisioning.collect_settings(server_url, project_name))
    provisioning.write_qr_png(payload, qr_path)
    return (f"App user {app_user.display_name} (id {app_user.id})\n"
            f"Server URL for ODK Collect: {server_url}\n"
            f"Collect settings payload: {payload}\n"
            f"QR code (scan in Collect: Projects > Add project): {qr_path}\n"
            f"Forms in a browser (no Collect) / 浏览器填报: {public_url(base_url)}/-/web/{token}/")


@app_users.command("revoke")
@click.argument("app_user_id", type=int)
def revoke_app_user(app_user_id):
    """Revoke a field key: the phone gets 403 from then on."""
    app_user = db.session.get(AppUser, app_user_id)
    if app_user is None:
        raise click.ClickException(f"No app user {app_user_id}.")
    accounts.revoke_app_user(db.session, app_user)
    db.session.commit()
    click.echo(f"Revoked app user {app_user_id}.")


def _read_files(paths):
    """{file name: bytes} for the regular files among `paths`."""
    files = {}
    for full in sorted(paths):
        if os.path.isfile(full):
            with open(full, "rb") as f:
                files[os.path.basename(full)] = f.read()
    return files


def _media_beside(path):
    """Files in <form file stem>-media/ next to the form: its images, audio and CSV files."""
    folder = os.path.splitext(path)[0] + "-media"
    return _read_files(glob.glob(os.path.join(folder, "*"))) if os.path.isdir(folder) else {}


def publish_paths(paths, echo=click.echo, validate=False, project_id=DEFAULT_PROJECT_ID):
    """Publish each path into town `project_id`; returns the number that failed. Shared CSVs
    in the form's folder (e.g. forms/villages.csv) are offered as media to every form there.
    validate: ODK Validate checks each new XLSForm version (see validate_where_possible)."""
    project = _town(project_id)
    store = current_app.extensions["blob_store"]
    failed, shared_by_folder, waiting = 0, {}, []
    for i, path in enumerate(paths, 1):
        folder = os.path.dirname(path) or "."
        if folder not in shared_by_folder:
            shared_by_folder[folder] = _read_files(glob.glob(os.path.join(folder, "*.csv")))
        shared = shared_by_folder[folder]
        with open(path, "rb") as f:
            data = f.read()
        try:
            result = publishing.publish(db.session, store, project.id, os.path.basename(path),
                                        data, {**shared, **_media_beside(path)},
                                        validate=validate)
            db.session.commit()
        except Problem as p:
            db.session.rollback()
            failed += 1
            echo(f"[{i}/{len(paths)}] {path}: REFUSED: {p.message_en} / {p.message_zh}")
            continue
        v = result.version
        echo(f"[{i}/{len(paths)}] {path}: {result.form.xml_form_id} version "
             f"{v.version or '(none)'}: {result.outcome}")
        for warning in result.warnings:
            echo(f"    warning: {warning}")
        if result.missing_media:
            waiting.append((path, v.id))
    # Checked once all are published: a list a form reads may be declared by a later form.
    for path, version_id in waiting:
        version = db.session.get(FormVersion, version_id)
        for name in [a.name for a in version.attachments
                     if a.blob_sha256 is None and a.dataset_id is None]:
            echo(f"    {path}: missing media file: {name}")
    return failed


def validate_where_possible(echo=click.echo):
    """True when ODK Validate can run here; otherwise says why it will not check the forms."""
    reason = odk_validate_unavailable()
    if reason:
        echo(f"ODK Validate will not check these forms: {reason}. / "
             f"无法运行 ODK Validate 检查表单：{reason}。")
    return reason is None


@forms.command("publish")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-validate", is_flag=True, help="Do not run ODK Validate (it needs Java) "
              "on new XLSForm versions.")
@project_option("The town to publish into.")
def publish_forms(paths, skip_validate, project_id):
    """Publish XLSForms (.xlsx/.xls/.xlsm) or XForms (.xml), with media from <name>-media/.
    A new XLSForm version must pass ODK Validate where Java is installed, as on ODK Central."""
    validate = not skip_validate and validate_where_possible()
    if publish_paths(paths, validate=validate, project_id=project_id):
        raise click.ClickException("Some forms were refused (see above).")


@forms.command("dictionary")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
def forms_dictionary(paths, output):
    """Write the data dictionary (docs/forms.md) of XLSForms: fields, labels, register lists."""
    text = dictionary.render(paths)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


@forms.command("issues")
@click.argument("xml_form_id")
@click.argument("policy", type=click.Choice(["hold", "update"]))
@project_option()
def form_issues_policy(xml_form_id, policy, project_id):
    """Whether submissions with validation issues wait for a supervisor (hold, the default)
    or still update the register (update)."""
    form = _form_named(xml_form_id, project_id)
    publishing.set_issues_policy(db.session, form, policy == "update")
    db.session.commit()
    click.echo(f"{xml_form_id}: submissions with issues "
               + ("still update the register." if policy == "update" else "wait for a supervisor."))


def _form_named(xml_form_id, project_id=DEFAULT_PROJECT_ID):
    form = db.session.scalar(select(Form).where(Form.project_id == project_id,
                                                Form.xml_form_id == xml_form_id))
    if form is None:
        raise click.ClickException(f"No form {xml_form_id}.")
    return form


@submissions.command("revalidate")
@click.argument("xml_form_id")
@project_option()
def revalidate_submissions(xml_form_id, project_id):
    """Check a form's stored submissions again (after a rule or the form's checks changed)."""
    form = _form_named(xml_form_id, project_id)
    store = current_app.extensions["blob_store"]
    total = validation.count_current(db.session, form.id)
    checked = flagged = 0
    with click.progressbar(validation.revalidate(db.session, store, form.id), length=total,
                           label=f"Checking {total} submissions of {xml_form_id}") as progress:
        for _submission_id, issues in progress:
            checked += 1
            flagged += bool(issues)
            if checked % 200 == 0:
                db.session.commit()
    db.session.commit()
    click.echo(f"{checked} checked, {flagged} with issues.")


@register_group.command("process-backlog")
@click.option("--days", type=int, default=None,
              help="Apply items held longer than this (default: DOORSTEP_BACKLOG_DAYS).")
def process_backlog_command(days):
    """Force-apply offline updates whose predecessor never arrived."""
    days = current_app.config["BACKLOG_DAYS"] if days is None else days
    done = merge.process_backlog(db.session, days)
    db.session.commit()
    click.echo(f"{done} held submissions applied.")


@register_group.command("rebuild")
@click.option("--check", "check_only", is_flag=True,
              help="Only compare the rebuilt register with the live one.")
@project_option()
def rebuild_command(check_only, project_id):
    """Replay every submission and API change, in order, into a scratch copy of the register;
    with --check report any difference from the live register, else replace it."""
    total = db.session.scalar(select(func.count()).select_from(RegisterEvent)
                              .where(RegisterEvent.project_id == project_id))
    with click.progressbar(length=total, label=f"Replaying {total} changes") as bar:
        if check_only:
            report = rebuild.check(db.session, project_id, bar.update)
        else:
            report = rebuild.replace(db.session, project_id, bar.update)
            db.session.commit()
    click.echo(f"{report.events} changes replayed, {report.entities} entities.")
    click.echo(f"{report.life_events} life events derived from the counted submissions.")
    click.echo(f"{report.cells} report cells {'checked' if check_only else 'recomputed'}.")
    if check_only:
        for line in report.differences[:50]:
            click.echo(f"  {line}")
        if report.differences:
            raise click.ClickException(f"{len(report.differences)} differences from the live "
                                       "register, its life events and report cells.")
        click.echo("No difference from the live register.")


@quality.command("dedupe")
@project_option()
def quality_dedupe(project_id):
    """Find every duplicate pair of people again, from scratch (supervisors' decisions kept)."""
    import time
    from app.quality import duplicates
    start = time.perf_counter()
    totals = duplicates.recompute(db.session, project_id)
    db.session.commit()
    click.echo(f"{totals['people']} people matched: {totals['pairs']} pairs "
               f"({totals['likely']} likely) in {time.perf_counter() - start:.1f} s.")


@forms.command("state")
@click.argument("xml_form_id")
@click.argument("state", type=click.Choice(["open", "closing", "closed"]))
@project_option()
def form_state(xml_form_id, state, project_id):
    """Open, close to new forms (closing), or close a form."""
    form = _form_named(xml_form_id, project_id)
    publishing.set_state(db.session, form, state)
    db.session.commit()
    click.echo(f"{xml_form_id} is now {state}.")


@areas.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@project_option("The town whose villages these are.")
def import_areas_command(path, project_id):
    """Load villages from a CSV (name, label_zh, label_en; or label)."""
    project = _town(project_id)
    created, updated = import_areas(db.session, project.id, path)
    db.session.commit()
    click.echo(f"Villages: {created} created, {updated} updated.")


@click.command("setup")
@click.option("--forms-dir", default="forms", show_default=True)
def setup(forms_dir):
    """Quick start: migrate the database, load villages, publish the bundled forms, and make
    sure there is an admin and a phone to connect."""
    upgrade()
    project = ensure_default_project(db.session, current_app.config["PROJECT_NAME"])
    project.name = current_app.config["PROJECT_NAME"]
    villages = os.path.join(forms_dir, "villages.csv")
    if os.path.exists(villages):
        import_areas(db.session, project.id, villages)
    db.session.commit()
    paths = sorted(p for ext in ("xlsx", "xls", "xlsm", "xml")
                   for p in glob.glob(os.path.join(forms_dir, f"*.{ext}")))
    publish_paths(paths, validate=validate_where_possible())
    from app.webforms.cli import install_for_setup
    install_for_setup()
    click.echo(_quickstart_accounts(project))


def _quickstart_accounts(project):
    """First run: an admin with a random password and one phone key, saved under instance/."""
    notes = os.path.join(current_app.instance_path, "quickstart.txt")
    if os.path.exists(notes):
        return open(notes, encoding="utf-8").read()
    password = secrets.token_urlsafe(12)
    if db.session.scalar(select(User.id).where(User.username == "admin")) is None:
        accounts.create_user(db.session, "admin", password, "admin",
                             current_app.config["AUTH_REALM"],
                             hash_method=current_app.config["PASSWORD_HASH"])
    app_user, token = accounts.create_app_user(db.session, project.id, "Quick start phone")
    db.session.commit()
    qr = os.path.join(current_app.instance_path, "quickstart-phone.png")
    text = describe_phone_setup(app_user, token, project.name, None, qr) + "\n"
    if "//127." in public_url() or "//localhost" in public_url():
        text += ("Note: that address is this computer's loopback, which a phone cannot reach. "
                 "Set DOORSTEP_PUBLIC_URL=http://<this computer's LAN address>:8000 and create "
                 "a phone with `flask --app wsgi app-users create --name ...`.\n"
                 "注意：该地址是本机回环地址，手机无法访问。请设置 DOORSTEP_PUBLIC_URL 为本机局域网地址后，"
                 "用 `flask --app wsgi app-users create --name ...` 重新生成。\n")
    # last, where a person looks once the server starts: the console and how to sign in
    text += (f"Web console / 管理台: {public_url()}/\n"
             f"Admin login / 管理员登录: admin / {password}\n")
    with open(notes, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(notes, 0o600)
    return text


def _ratios(values):
    """{"dongwan": 118.0} from ("dongwan=118", …)."""
    out = {}
    for value in values:
        code, _, ratio = value.partition("=")
        try:
            out[code.strip()] = float(ratio)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected VILLAGE=RATIO, e.g. dongwan=118")
    return out


def _rates(values):
    """{"neonatal_mortality": 0.05, "loss_mix": {...}} from ("neonatal_mortality=0.05", …):
    any rate of app.demo.town.Params by name (a mix as JSON)."""
    import json

    from app.demo.town import RATES
    out = {}
    for value in values:
        name, _, number = value.partition("=")
        name = name.strip()
        if name not in RATES:
            raise click.BadParameter(f"{value!r}: the rates are {', '.join(RATES)}")
        try:
            out[name] = json.loads(number)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected NAME=NUMBER, e.g. twin_rate=0.02")
    return out


@demo.command("town")
@click.option("--villages", default=12, show_default=True, type=click.IntRange(1),
              help="How many villages (at most the rows of forms/villages.csv).")
@click.option("--people", default=50000, show_default=True, type=click.IntRange(1),
              help="Population at the start.")
@click.option("--months", default=12, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True)
@click.option("--start", default="2025-01-01", show_default=True, help="First day (YYYY-MM-DD).")
@click.option("--sex-ratio", default=106.0, show_default=True,
              help="Boys born per 100 girls, every village.")
@click.option("--village-sex-ratio", multiple=True, metavar="VILLAGE=RATIO",
              help="A different ratio for one village; repeatable.")
@click.option("--duplicate-rate", default=0.01, show_default=True,
              help="Share of people registered a second time by another worker.")
@click.option("--unreported-birth-rate", default=0.03, show_default=True)
@click.option("--late-rate", default=0.08, show_default=True,
              help="Share of days a field phone (worker, leader, doctor) is offline.")
@click.option("--out-of-order-rate", default=0.05, show_default=True,
              help="Share of queued submissions sent before the one filled before them.")
@click.option("--rate", "rates", multiple=True, metavar="NAME=VALUE",
              help="Another value for one of the town's named rates (app.demo.town.Params: "
                   "birth_rate, marriage_rate, neonatal_mortality, …; loss_mix as JSON); "
                   "repeatable.")
@click.option("--forms-dir", default="forms", show_default=True)
@click.option("--truth", "truth_path", default="demo-town-truth.json", show_default=True,
              help="Where to write the ground truth (JSON).")
@click.option("--outside-lists/--no-outside-lists", default=True, show_default=True,
              help="Also write the hospital's births and the household registry next to the "
                   "truth file, and which record is which in it (app/demo/outside_lists.py).")
@click.option("--outside-format", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True, help="The outside lists' file format.")
def demo_town(villages, people, months, seed, start, sex_ratio, village_sex_ratio,
              duplicate_rate, unreported_birth_rate, late_rate, out_of_order_rate, rates,
              forms_dir, truth_path, outside_lists, outside_format):
    """Generate a fictional town and send it through intake: households, people, pregnancies,
    births, deaths, marriages, migrants, checks, procedures and rewards over MONTHS, with
    duplicates, unreported births and late phones mixed in. Writes the ground truth and checks
    the register and its life events against it (exit status 1 on any difference)."""
    import datetime as dt
    import json

    from app.demo import ingest, report_truth
    from app.demo.town import Params, Town, read_villages
    from app.demo.truth import truth_document

    params = Params(villages=villages, people=people, months=months, seed=seed,
                    start=dt.date.fromisoformat(start), sex_ratio=sex_ratio,
                    village_sex_ratio=_ratios(village_sex_ratio), duplicate_rate=duplicate_rate,
                    unreported_birth_rate=unreported_birth_rate, late_rate=late_rate,
                    out_of_order_rate=out_of_order_rate, **_rates(rates))
    upgrade()
    project = ensure_default_project(db.session, current_app.config["PROJECT_NAME"])
    if not ingest.is_empty(db.session):
        raise click.ClickException("flask demo town needs a database without submissions.")
    import_areas(db.session, project.id, os.path.join(forms_dir, "villages.csv"))
    db.session.commit()
    publish_paths(sorted(glob.glob(os.path.join(forms_dir, "*.xlsx"))),
                  echo=lambda line: None)
    try:
        town = Town(params, read_villages(os.path.join(forms_dir, "villages.csv")))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--villages")
    click.echo(f"Simulating {people} people in {villages} villages over {months} months "
               f"(seed {seed})…")
    subs = town.run()
    document = truth_document(town, subs)
    if outside_lists:
        from app.demo import outside_lists as outside
        document["outside_lists"] = outside.write(town, subs, truth_path,
                                                  outside.OutsideParams(format=outside_format))
    actors = ingest.phones(db.session, project.id, town)
    store = current_app.extensions["blob_store"]
    with click.progressbar(length=len(subs), label=f"Sending {len(subs)} submissions") as bar:
        done = [0]

        def progress(i):
            bar.update(i - done[0])
            done[0] = i
        summary = ingest.send(db.session, store, project.id, subs, actors, progress,
                              realm=current_app.config["AUTH_REALM"])
    document["intake"] = summary
    found, differences = ingest.compare(db.session, document)
    document["register_found"] = found
    events_found = ingest.events_found(db.session)
    document["events_found"] = events_found
    event_differences = differences.pop("life events", [])
    document["event_differences"] = event_differences
    # the report cells the events were summed into, against those the truth expects
    cell_differences = report_truth.cell_differences(report_truth.cells_from_file(document),
                                                     report_truth.server_cells(db.session,
                                                                               project.id))
    document["reports"]["cell_differences"] = [[list(k), a, b] for k, a, b in cell_differences]
    with open(truth_path, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=1)
    town_counts = found["town"]
    click.echo(f"Sent {len(subs)} submissions in {summary['seconds']} s "
               f"({summary['per_second']}/s): {summary['received']}"
               + (f", refused {summary['refused']}" if summary["refused"] else ""))
    click.echo(f"Register: {town_counts['households']} households, {town_counts['people']} "
               f"people ({town_counts['present']} present), "
               f"{town_counts['born_male'] + town_counts['born_female']} births, "
               f"{town_counts['pregnancies_open']} open pregnancies. Ground truth: {truth_path}")
    totals = events_found["totals"]
    click.echo("Life events: " + ", ".join(f"{k} {n}" for k, n in totals.items()))
    if differences:
        raise click.ClickException(f"the register differs from the ground truth: {differences}")
    if event_differences:
        shown = "\n".join(f"  {k}: expected {a}, found {b}" for k, a, b in event_differences[:40])
        raise click.ClickException(f"{len(event_differences)} life event counts differ from the "
                                   f"ground truth (kind, month, village, details):\n{shown}")
    click.echo("The register matches the ground truth.")
    click.echo("The life events match the ground truth.")
    if cell_differences:
        shown = "\n".join(f"  {k}: expected {a}, found {b}" for k, a, b in cell_differences[:40])
        raise click.ClickException(f"{len(cell_differences)} report cells differ from the ground "
                                   f"truth (village, month, cell):\n{shown}")
    click.echo("The report cells match the ground truth.")
    if outside_lists:
        lists = document["outside_lists"]
        click.echo(f"Outside lists: {lists['hospital_births']['file']} "
                   f"({lists['hospital_births']['rows']} births), "
                   f"{lists['household_registry']['file']} "
                   f"({lists['household_registry']['rows']} residents).")


class _BackupGroup(AppGroup):
    """`flask backup DEST` takes a backup (the hidden `take`); `flask backup verify SRC`
    checks one."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["take", *args]
        return super().parse_args(ctx, args)


backup = _BackupGroup("backup", help="`backup DEST`: back up the database and its blobs "
                      "while the server runs; `backup verify SRC`: check a backup.")


def _audit(action, path, revision, blobs):
    """A backup holds everyone's personal data: who took or restored one, and where, is kept
    in the audit log (of the restored database, for a restore)."""
    from app.audit.record import record
    record(db.session, None, action, os.path.abspath(path), revision=revision, blobs=blobs,
           os_user=getpass.getuser())
    db.session.commit()


def _backup_failed(error):
    raise click.ClickException(error.message_en + "\n" + error.message_zh)


@backup.command("take", hidden=True)
@click.argument("dest", type=click.Path(file_okay=False))
def backup_take(dest):
    """Back up the database and the blobs it refers to into DEST (a new or empty directory)."""
    try:
        taken = snapshot.take(db.engine, current_app.extensions["blob_store"], dest)
    except BackupError as error:
        _backup_failed(error)
    blobs = len(taken["files"]) - 1
    if taken["revision"] == _head_revision():   # an older schema is only read, never written
        _audit("backup.take", dest, taken["revision"], blobs)
    click.echo(f"Backed up the {taken['database']} database (revision {taken['revision']}) "
               f"and {blobs} blobs to {dest}.")
    click.echo(f"已将数据库（版本 {taken['revision']}）和 {blobs} 个文件备份到 {dest}。")


@backup.command("verify")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
def backup_verify(src):
    """Recompute every checksum of a backup; list missing, changed and extra files."""
    try:
        found = backup_manifest.verify(src)
    except BackupError as error:
        _backup_failed(error)
    for en, zh, paths in (("missing", "缺少", found.missing), ("changed", "已更改", found.changed),
                          ("extra", "多出", found.extra)):
        for path in paths:
            click.echo(f"{en} / {zh}: {path}")
    if not found.ok:
        raise click.ClickException(
            f"The backup does not match its manifest ({found.summary()}).\n"
            f"备份与清单不符（{found.summary(zh=True)}）。")
    count = len(found.manifest["files"])
    click.echo(f"All {count} files match the manifest. / 全部 {count} 个文件与清单一致。")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True,
              help="Replace everything in a target database that is not empty.")
@with_appcontext
def restore_command(src, force):
    """Restore a backup into the configured (empty) database and blob store, then migrate it
    up to this version of Doorstep. Stop the server first."""
    try:
        _known_revision(backup_manifest.read(src)["revision"])
        restored = restoring.restore(db.engine, current_app.extensions["blob_store"], src,
                                     force)
    except BackupError as error:
        _backup_failed(error)
    upgrade()
    blobs = len(restored["files"]) - 1
    _audit("backup.restore", src, restored["revision"], blobs)
    click.echo(f"Restored the backup of {restored['created_at']} (revision "
               f"{restored['revision']}, {blobs} blobs) and migrated it up.")
    click.echo(f"已恢复 {restored['created_at']} 的备份（版本 {restored['revision']}，{blobs} 个文件）"
               "并已迁移到当前版本。")


def _migration_scripts():
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def _head_revision():
    return _migration_scripts().get_current_head()


def _known_revision(revision):
    """A backup from a newer Doorstep names a revision this one cannot migrate from."""
    from alembic.util import CommandError
    try:
        known = _migration_scripts().get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(f"The backup is of database revision {revision}, which this version "
                          "of Doorstep does not know: restore it with a newer one.",
                          f"备份的数据库版本 {revision} 不为此版本的 Doorstep 所知：请用更新的版本恢复。")
