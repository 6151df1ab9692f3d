"""`flask reports …`: a month's report as text, JSON or XLSX, locking and unlocking a month,
and the year's targets. Run by the server's operator (audited as the system); commands parse,
call app.reports.service, commit, print. Errors are said in Chinese and English."""
import json

import click
from flask.cli import AppGroup

from app.db import db
from app.problems import Problem
from app.projects.models import Project
from app.projects.service import DEFAULT_PROJECT_ID
from app.reports import bases, service, targets
from app.reports.periods import Month

reports = AppGroup("reports", help="Monthly village and town reports, locks and targets. "
                                   "村级、镇级月报，锁定与目标。")


def _fail(problem):
    raise click.ClickException(problem.message_zh + "\n" + problem.message_en)


def _month(ctx, param, value):
    try:
        return Month.parse(value)
    except ValueError:
        raise click.BadParameter(f"不是有效的年月（YYYY-MM）：{value!r} / not a month "
                                 f"(YYYY-MM): {value!r}") from None


def _year(ctx, param, value):
    if not 1900 <= value <= 9999:
        raise click.BadParameter(f"不是有效的年份：{value} / not a year: {value}")
    return value


def _options(command):
    command = click.option("--village", default=None,
                           help="A village's code; default: the town. 村代码，默认全镇。")(command)
    return click.option("--project", "project_id", default=DEFAULT_PROJECT_ID,
                        show_default=True, type=int, help="Project (town) id.")(command)


def _run(work):
    """Call the service, commit, or roll back and say why in both languages."""
    try:
        result = work()
    except Problem as p:
        db.session.rollback()
        _fail(p)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return result


@reports.command("month")
@click.argument("month", callback=_month)
@_options
@click.option("--xlsx", "xlsx_path", default=None, type=click.Path(dir_okay=False),
              help="Write the report as an XLSX workbook here. 导出为 XLSX 文件。")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report document as JSON.")
def month_command(month, village, project_id, xlsx_path, lang, as_json):
    """Show a month's report (MONTH as YYYY-MM). 显示某月报表。"""
    from app.reports import text, xlsx
    action = "report.download" if xlsx_path else "report.view"

    def work():
        doc = service.report(db.session, project_id, month, village, None, lang,
                             action=action)
        if xlsx_path:           # audited as downloaded only once the file is written
            xlsx.write(doc, xlsx_path, lang)
        return doc
    doc = _run(work)
    if xlsx_path:
        click.echo(f"已写入 / Written: {xlsx_path}")
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    elif not xlsx_path:
        click.echo(text.render(doc, lang))


@reports.command("lock")
@click.argument("month", callback=_month)
@_options
def lock_command(month, village, project_id):
    """Lock a month's report after its meeting. 会后锁定某月报表。"""
    doc = _run(lambda: service.lock(db.session, project_id, month, village, None))
    where = village or "全镇 / town"
    click.echo(f"已锁定 {where} {month}（第{doc['lock']['version']}版）/ Locked {where} {month} "
               f"(version {doc['lock']['version']}).")


@reports.command("unlock")
@click.argument("month", callback=_month)
@_options
@click.option("--reason", required=True, help="Why it is re-opened. 解锁原因。")
def unlock_command(month, village, project_id, reason):
    """Re-open a locked month (the next lock is a new version). 解锁某月报表。"""
    ended = _run(lambda: service.unlock(db.session, project_id, month, village, None, reason))
    where = village or "全镇 / town"
    click.echo(f"已解锁 {where} {month}（第{ended.version}版已结束）/ Unlocked {where} {month} "
               f"(version {ended.version} ended).")


targets_group = AppGroup("targets", help="Yearly targets per indicator. 年度指标目标。")
reports.add_command(targets_group)


def _pairs(values):
    """{indicator: number | None} from ("birth_rate=12", "certificate_rate=", …)."""
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        name = name.strip()
        if not sep:
            raise click.BadParameter(f"{value!r}：应为 指标=数值，如 birth_rate=12 / expected "
                                     "INDICATOR=NUMBER, e.g. birth_rate=12")
        if number.strip() == "":
            parsed = None               # clears the target
        else:
            try:
                parsed = float(number)
            except ValueError:
                parsed = number
        found = targets.problem(name, parsed)
        if found:
            raise click.BadParameter(f"{found[0]} / {found[1]}")
        out[name] = parsed
    return out


@targets_group.command("set")
@click.argument("year", type=int, callback=_year)
@click.argument("values", nargs=-1, required=True, metavar="INDICATOR=NUMBER...")
@_options
def targets_set(year, values, village, project_id):
    """Set targets of YEAR (INDICATOR= with nothing clears one). 设置年度目标。"""
    pairs = _pairs(values)
    _run(lambda: service.set_targets(db.session, project_id, year, pairs, village, None))
    click.echo(f"已设置 {len(pairs)} 项目标 / {len(pairs)} target(s) set.")
    _print_targets(project_id, year, village)


@targets_group.command("show")
@click.argument("year", type=int, callback=_year)
@_options
def targets_show(year, village, project_id):
    """Show the targets of YEAR. 显示年度目标。"""
    _print_targets(project_id, year, village)


_SOURCES = {"village": "本村 / village", "town": "全镇 / town", "default": "规划 / plan",
            None: "未设 / unset"}


def _print_targets(project_id, year, village):
    shown = _run(lambda: service.show_targets(db.session, project_id, year, village, None))
    click.echo(f"{year} {village or '全镇 / town'}")
    for t in shown["targets"]:
        value = "—" if t["value"] is None else f"{t['value']:g}"
        sign = {"max": "≤", "min": "≥"}.get(t["direction"], "")
        click.echo(f"  {t['indicator']:<24} {sign}{value:<8} {_SOURCES[t['source']]:<14} "
                   f"{t['zh']} / {t['en']}")


@reports.command("compact")
@click.option("--cut", "cut", default=None, callback=lambda c, p, v: v and _month(c, p, v),
              help="The month up to which stocks are summed; default: December three years "
                   "back. 库存基数截至的月份，默认三年前的十二月。")
@click.option("--project", "project_id", default=DEFAULT_PROJECT_ID, show_default=True,
              type=int, help="Project (town) id.")
def compact_command(cut, project_id):
    """Sum each village's stock history up to a month (run yearly: reports of later months
    read the sums instead of every month). 汇总各村截至某月的人口等存量（每年运行一次）。"""
    month = cut or bases.default_cut()
    if db.session.get(Project, project_id) is None:
        raise click.ClickException(f"没有编号为 {project_id} 的项目。\nNo project {project_id}.")
    written = _run(lambda: bases.move(db.session, project_id, month))
    click.echo(f"库存基数已汇总至 {month}：{written} 行。/ Stock bases summed to {month}: "
               f"{written} rows.")
