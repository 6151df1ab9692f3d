"""The report cells of the synthetic town, made through the real forms, derivers and intake
(late and out-of-order submissions, held ones approved after review): the stored cells equal
what the stored events give, each flow cell family adds up to its events, and the population
stock moves as births, deaths and moves say."""
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import demo
from app.events.models import LifeEvent
from app.reports import cells
from app.reports.models import ReportCell
from tests.conftest import FORMS_DIR
from tests.demo.test_town import RARE


def test_the_towns_cells_agree_with_its_events(app, db, tmp_path):
    result = CliRunner().invoke(demo, [
        "town", "--people", "400", "--villages", "2", "--months", "12", "--seed", "11",
        "--late-rate", "0.3", "--out-of-order-rate", "0.3", *RARE, "--forms-dir", FORMS_DIR,
        "--truth", str(tmp_path / "truth.json")], obj=app.extensions)
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert cells.compare(db.session) == []

    def total(prefix):
        return db.session.scalar(select(func.coalesce(func.sum(ReportCell.n), 0))
                                 .where(ReportCell.cell.like(f"{prefix}%")))

    def events(kind):
        return db.session.scalar(select(func.count()).select_from(LifeEvent)
                                 .where(LifeEvent.kind == kind))

    for kind, prefix in (("birth", "birth:"), ("birth", "birth_place:"), ("death", "death:"),
                         ("moved_in", "moved_in:"), ("moved_out", "moved_out:"),
                         ("pregnancy_ended", "pregnancy_ended:"), ("marriage", "marriage"),
                         ("three_checks", "three_checks:"), ("iud_check", "iud_check:"),
                         ("reward_paid", "reward_paid:"), ("double_check", "double_check:"),
                         ("certificate_issued", "certificate:"),
                         ("contraception_procedure", "procedure:")):
        assert total(prefix) == events(kind), kind
    assert events("birth") > 0 and events("pregnancy_ended") > 0
    # the population's change over all time: in and born, less dead and gone
    assert total("pop:") == (events("birth") + events("moved_in") + events("registered")
                             - events("death") - events("newborn_death") - events("moved_out"))
    # each woman's window adds up to nothing over all time: in at 15 (or on arrival), out
    # at 50 (or on leaving), each exit's -1 with its +1 at 50
    assert total("women_15_49") == total("married_women_15_49") == 0
    assert total("pregnancy_reported") == events("pregnancy_reported")
