"""The overdue pregnancies page for the console: the list app.quality.omissions gives, for the
villages the person may see (all of hers, or the one she picked), a page at a time. Plain
data out, no Flask; the handler audits the read."""
from dataclasses import dataclass

from app.console import scope
from app.quality import omissions

PAGE = 50


@dataclass(frozen=True)
class OverduePage:
    rows: list                 # [omissions.Overdue]
    after: str | None          # the cursor of the next page
    villages: scope.Villages   # the filter's choices and the one chosen
    today: str                 # the day counted on (YYYY-MM-DD)


def overdue(session, actor, project_id, today, village=None, after=None):
    """One page of the overdue pregnancies `actor` may see on `today` (the town's date)."""
    villages = scope.villages(session, actor, project_id, village)
    page = omissions.overdue_pregnancies(session, project_id, villages.ids, today, after, PAGE)
    return OverduePage(page.rows, page.after, villages, today.isoformat())
