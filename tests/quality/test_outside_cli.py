"""`flask quality import` and `flask quality rerun` through Click's runner."""
from app.quality.outside_cli import quality
from tests.quality.test_outside_import import hospital_rows
from tests.quality.test_outside_support import HOSPITAL_ZH, REGISTRY_EN, seed_people, write


def run(app, args):
    return app.test_cli_runner().invoke(quality, args)


def test_import_prints_the_figures_and_the_same_file_changes_nothing(app, db, tmp_path):
    seed_people(db.session)
    path = tmp_path / "births.xlsx"
    path.write_bytes(write("xlsx", HOSPITAL_ZH, hospital_rows()))
    first = run(app, ["import", "--kind", "hospital_births", str(path)])
    assert first.exit_code == 0, first.output
    assert "4 rows kept" in first.output and "(all): 0 matched, 4 omitted" in first.output
    again = run(app, ["import", "--kind", "hospital_births", str(path)])
    assert again.exit_code == 0 and "nothing changed" in again.output
    rerun = run(app, ["rerun", "1"])
    assert rerun.exit_code == 0 and "import 1" in rerun.output


def test_a_bad_file_fails_with_both_languages(app, db, tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(write("csv", REGISTRY_EN[:2], [["", "王芳"]]))
    result = run(app, ["import", "--kind", "household_registry", str(path)])
    assert result.exit_code != 0
    assert "lacks required columns" in result.output and "缺少必填列" in result.output
