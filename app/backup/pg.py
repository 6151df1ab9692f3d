"""The PostgreSQL command-line tools (pg_dump, pg_restore, psql) run against Doorstep's
database: reached by a libpq URL without the password, which goes in PGPASSWORD so that no
process list shows it."""
import os
import shutil
import subprocess
import tempfile

from app.backup import BackupError


def _connection(url):
    """(the environment with PGPASSWORD, the libpq URL without the password)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql")._replace(password=None)
    return env, plain.render_as_string(hide_password=False)


def _missing(tool):
    return BackupError(f"{tool} is not installed (PostgreSQL's client tools, version 15 or "
                       "later).", f"未安装 {tool}（PostgreSQL 客户端工具，15 或更高版本）。")


def _failed(tool, stderr):
    return BackupError(f"{tool} failed: {stderr.strip()}", f"{tool} 失败：{stderr.strip()}")


def run(tool, arguments, url):
    """Run `tool arguments… --dbname URL` for a SQLAlchemy URL; BackupError if it fails."""
    env, dbname = _connection(url)
    command = [tool, *arguments, "--dbname", dbname]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise _missing(tool) from None
    if done.returncode != 0:
        raise _failed(tool, done.stderr)


def replace(dump_path, prelude, url):
    """Run the SQL `prelude` (statements that empty the database), then the dump's SQL from
    pg_restore, in one transaction through psql, committed only once pg_restore has written
    the whole dump: a dump that fails part-way rolls the prelude back too."""
    env, dbname = _connection(url)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        try:
            restore = subprocess.Popen(
                ["pg_restore", "--no-owner", "--no-privileges", "-f", "-", dump_path],
                env=env, stdout=subprocess.PIPE, stderr=restore_err)
        except FileNotFoundError:
            raise _missing("pg_restore") from None
        try:
            psql = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dbname],
                                    env=env, stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=psql_err)
        except FileNotFoundError:
            restore.kill()
            restore.wait()
            raise _missing("psql") from None
        try:
            psql.stdin.write(b"BEGIN;\n" + prelude.encode() + b"\n")
            shutil.copyfileobj(restore.stdout, psql.stdin)
            restored = restore.wait() == 0
            if restored:
                psql.stdin.write(b"COMMIT;\n")
            psql.stdin.close()      # (without COMMIT the server rolls everything back)
        except BrokenPipeError:     # psql stopped at an error: nothing was committed
            restore.kill()
            restored = restore.wait() == 0
        applied = psql.wait() == 0
        for tool, ok, err in (("pg_restore", restored, restore_err), ("psql", applied, psql_err)):
            if not ok:
                err.seek(0)
                raise _failed(tool, err.read().decode("utf-8", "replace"))
