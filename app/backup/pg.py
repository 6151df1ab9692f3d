"""The PostgreSQL command-line tools (pg_dump, pg_restore) run against Doorstep's database:
reached by a libpq URL without the password, which goes in PGPASSWORD so that no process
list shows it."""
import os
import subprocess

from app.backup import BackupError


def run(tool, arguments, url):
    """Run `tool arguments… --dbname URL` for a SQLAlchemy URL; BackupError if it fails."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql")._replace(password=None)
    command = [tool, *arguments, "--dbname", plain.render_as_string(hide_password=False)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{tool} is not installed (PostgreSQL's client tools, version "
                          "15 or later).",
                          f"未安装 {tool}（PostgreSQL 客户端工具，15 或更高版本）。") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}",
                          f"{tool} 失败：{done.stderr.strip()}")
