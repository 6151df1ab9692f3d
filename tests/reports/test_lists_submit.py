"""The town in November 2026 for sections F–I and the lists (tests/reports/test_lists.py,
test_coverage.py): the sample submissions of tests/samples, copied with new instanceIDs and
changed answers, sent by the phones through intake like any other. A copy drops the register
updates it carries (several copies updating one person from the same base version would be
conflicts, not what these tests are about) and gives each entity it creates a new uuid; a
sample sent with `keep=True` changes the register as the phone meant it to.

Every figure the tests expect is worked out by hand in the comments of `november`."""
import uuid

import pytest

from app.reports import bases
from lxml import etree
from sqlalchemy import select

from app.projects.models import Area
from app.reports.models import ReportCell
from app.submissions.models import Submission, SubmissionDef
from tests.samples import instance
from tests.samples.register import (CHEN_HONG, HE_JING, LI_XIUYING, LIU_MEI, SUN_MIN, SUN_WEI,
                                     WANG_JIANGUO, ZHANG_LI, ZHAO_YAN, ZHOU_FANG)


def copy(name, changes=None, keep=False, creates=True, filled=None):
    """Sample `name` as a new submission: a new instanceID, `changes` ({path below the root:
    text}) applied (a missing leaf is added); register updates dropped unless keep; creates get
    new uuids (dropped too when creates=False); `filled`: the day the phone filled it.
    Returns (xml bytes, {old entity id: new id})."""
    root = etree.fromstring(instance(name))
    root.find("meta/instanceID").text = f"uuid:{uuid.uuid4()}"
    if filled:
        changes = {"today": filled, "start": f"{filled}T10:00:00.000+08:00",
                   "end": f"{filled}T10:00:00.000+08:00", **(changes or {})}
    renamed = {}
    for entity in list(root.iter("entity")):
        if entity.get("create") in ("1", "true") and creates:
            renamed[entity.get("id")] = new = str(uuid.uuid4())
            entity.set("id", new)
        elif not keep:
            entity.getparent().remove(entity)
    for path, value in (changes or {}).items():
        found = root.find(path)
        if value is None:             # the question no longer applies: no answer
            found.getparent().remove(found)
            continue
        if found is None:
            parent, _, leaf = path.rpartition("/")
            found = etree.SubElement(root.find(parent) if parent else root, leaf)
        found.text = value
    return etree.tostring(root, encoding="utf-8"), renamed


class Sender:
    def __init__(self, town, db, client, login):
        self.town, self.db, self.client, self.login = town, db, client, login

    def __call__(self, name, changes=None, persona="worker_a", keep=False, creates=True,
                 filled=None, held=False):
        """Send a copy; it must be counted (held=True: it is held for review and a
        supervisor approves it, as one would after looking)."""
        body, renamed = copy(name, changes, keep, creates, filled)
        response = self.town.phone(persona).submit(body)
        assert response.status_code == 201, response.data
        self.db.session.rollback()
        iid = self.instance_id(body)
        state = self.db.session.execute(select(Submission.review_state, Submission.in_register)
                                        .where(Submission.instance_id == iid)).one()
        if held:
            assert tuple(state) == ("hasIssues", False), state
            form = etree.fromstring(body).get("id")
            assert self.client.patch(f"/v1/projects/1/forms/{form}/submissions/{iid}",
                                     json={"reviewState": "approved"},
                                     headers=self.login("admin")).status_code == 200
        else:
            assert state.in_register, (name, changes, self.db.session.scalars(
                select(SubmissionDef.issues).join(Submission).where(
                    Submission.instance_id == iid)).all())
        return body, renamed

    def instance_id(self, body):
        return etree.fromstring(body).findtext("meta/instanceID")


NO_CERTIFICATE = {"certificate/has_certificate": "no", "certificate/certificate_no": None,
                  "certificate/certificate_issued_by": None,
                  "certificate/certificate_valid_until": None}


def area(db, code):
    return db.session.scalar(select(Area.id).where(Area.code == code))


@pytest.fixture
def send(town, db, client, login):  # noqa: F811 - login is the fixture imported
    return Sender(town, db, client, login)


@pytest.fixture
def november(db, send):
    """The submissions of the scenario (all in village dongwan unless said), and the
    instanceIDs of those the lists show, by a short name."""
    ids = {}
    dongwan, xishan = area(db, "dongwan"), area(db, "xishan")
    # F: married women 15–49 at the round's start (the stock at the end of June 2026) as the
    # summary cells hold it: dongwan 6 before any record - 1 in 2026-03 = 5; xishan 1; a change
    # in 2026-08 is after the round's start. (The submissions below change that stock only
    # after June, so the cells app.reports.cells keeps from them leave these figures alone.)
    for area_id, month, n in ((dongwan, "0000-00", 6), (dongwan, "2026-03", -1),
                              (dongwan, "2026-08", -1), (xishan, "0000-00", 1)):
        db.session.add(ReportCell(project_id=1, area_id=area_id, month=month,
                                  cell="married_women_15_49", n=n))
    db.session.flush()
    bases.rebuild(db.session)   # cells written by hand: their bases summed as intake would
    db.session.commit()
    # F: three checks. Round 2026-H2 to 30 Nov: Chen Hong (Nov, illness), Zhang Li (Nov: IUD
    # expelled, pregnancy found; Sep: illness); Liu Mei only in H1; xishan: Zhao Yan (Oct).
    send("three_checks_routine")
    send("three_checks_finds_pregnancy")
    send("three_checks_routine", {"woman": ZHANG_LI, "check_date": "2026-09-10"})
    send("three_checks_routine", {"woman": LIU_MEI, "check_date": "2026-05-01",
                                  "check_round": "2026-H1", "gyn/findings": "none"})
    send("three_checks_routine", {"village": "xishan", "woman": ZHAO_YAN,
                                  "check_date": "2026-10-05", "gyn/findings": "none"},
         persona="worker_b")
    # G: plans in 2026: Zhang Li (19 Nov), Sun Min (10 Feb), Liu Mei (5 Nov); Chen Hong's is in
    # 2025. Check-ups: Zhang Li 3 Nov, Sun Min 10 Sep, Liu Mei 1 Dec 2025 (last year).
    send("home_visit_planning")
    send("home_visit_planning", {"member[4]/person_id": SUN_MIN, "visit_date": "2026-02-10"})
    body, _ = send("home_visit_planning", {"member[4]/person_id": LIU_MEI,
                                           "visit_date": "2026-11-05"})
    ids["plan_liu_mei"] = send.instance_id(body)
    send("home_visit_planning", {"member[4]/person_id": CHEN_HONG, "visit_date": "2025-12-20"})
    send("prepregnancy_check_man_at_risk")
    send("prepregnancy_check_risk")
    send("prepregnancy_check_risk", {"woman": LIU_MEI, "check_date": "2025-12-01"})
    # H: out-migrants: Chen Hong 15 Aug with a certificate (her register row says moved out);
    # Zhou Fang 10 Jul, He Jing 10 Nov (back 18 Nov), Sun Wei (a man) 5 Nov, Li Xiuying (55)
    # 1 Apr with a certificate. In: Huang Li 2 Nov (a new person), He Jing 18 Nov.
    send("migrant_moving_out", keep=True)
    send("migrant_moving_out", {"person_id": ZHOU_FANG, "person": ZHOU_FANG, "full_name": "周芳",
                                "dob": "1995-03-02", "id_number": "610425199503021027",
                                "move_date": "2026-07-10",
                                **NO_CERTIFICATE})
    send("migrant_leaving_without_household")
    send("migrant_moving_out", {"person_id": SUN_WEI, "person": SUN_WEI, "full_name": "孙伟",
                                "sex": "male", "dob": "1990-07-07",
                                "id_number": "610425199007071017",
                                "contraception": None,
                                "move_date": "2026-11-05",
                                **NO_CERTIFICATE})
    send("migrant_moving_out", {"person_id": LI_XIUYING, "person": LI_XIUYING,
                                "full_name": "李秀英", "dob": "1971-09-30",
                                "id_number": "610425197109300424",
                                "move_date": "2026-04-01"})
    send("migrant_moving_in", keep=True)
    send("migrant_moving_in", {"person_id": HE_JING, "person": HE_JING, "mode": "existing",
                               "full_name": "何静", "dob": "1996-11-18",
                               "id_number": "410122199611180647", "move_date": "2026-11-18",
                               **NO_CERTIFICATE}, creates=False)
    # double checks received: Zhou Fang 20 Oct (this round), Chen Hong 20 Jun (last round)
    send("double_check_results_received")
    send("double_check_results_received", {"woman": CHEN_HONG, "check_date": "2026-06-20"})
    # I: rewards
    send("benefit_one_child_household")
    send("benefit_pension_person")
    send("benefit_pension_person", {"paid_on": "2026-10-18"})
    send("benefit_pension_person", {"person": WANG_JIANGUO, "paid_on": "2026-03-18"})
    send("benefit_pension_person", {"paid_on": "2025-12-18"})
    # Lists: pregnancies ended in November
    body, _ = send("termination_approved")
    ids["termination_approved"] = send.instance_id(body)
    # held for its missing approval number; the supervisor approves it (it is counted)
    body, _ = send("termination_without_approval", {"outcome_date": "2026-11-12"}, held=True)
    ids["termination_without_approval"] = send.instance_id(body)
    body, _ = send("birth_twins_newborn_death")
    ids["birth"] = send.instance_id(body)
    body, _ = send("birth_twins_newborn_death", {
        "outcome_date": "2026-10-28", "child/newborn[1]/newborn_death_date": "2026-11-02",
        "child/newborn[1]/newborn_death_checked": "no"})
    ids["birth_october"] = send.instance_id(body)
    body, _ = send("pregnancy_loss", {"outcome_date": "2026-11-19", "loss_reason": "",
                                      "lmp": "2026-09-20", "pregnancy_lmp": "2026-09-20",
                                      "gestational_weeks": "8"}, held=True)
    ids["loss_without_reason"] = send.instance_id(body)
    # overdue: LMP + 308 days on or before 30 Nov (LMP on or before 26 Jan 2026), no outcome
    # by then
    send("pregnancy_reported_by_leader")                                   # LMP 28 Sep
    for woman, lmp, reported in ((CHEN_HONG, "2026-01-20", "2026-03-01"),
                                 (ZHANG_LI, "2026-01-26", "2026-03-05"),
                                 (LIU_MEI, "2026-01-27", "2026-03-06"),
                                 (SUN_MIN, "2025-12-01", "2026-02-01"),
                                 (HE_JING, "2025-12-05", "2026-02-02")):
        body, renamed = send("pregnancy_reported_by_leader", {
            "woman_update/woman": woman, "lmp": lmp, "lmp_given": lmp, "report_date": reported},
            filled=reported)
        ids[f"report_{woman}"] = send.instance_id(body)
        ids[f"pregnancy_{woman}"] = list(renamed.values())[0]
    for woman, lmp, ended, weeks in ((SUN_MIN, "2025-12-01", "2026-08-01", "34"),
                                     (HE_JING, "2025-12-05", "2026-12-01", "51")):
        pregnancy = ids[f"pregnancy_{woman}"]
        send("pregnancy_loss", {"pregnancy": pregnancy, "pregnancy_id": pregnancy,
                                "pregnancy_woman": woman, "outcome_date": ended, "lmp": lmp,
                                "pregnancy_lmp": lmp, "gestational_weeks": weeks},
             filled=ended, held=woman == HE_JING)
    db.session.rollback()
    return {"dongwan": dongwan, "xishan": xishan, **ids}


def test_a_copied_sample_is_received_and_counted(november, db):
    from app.events.models import LifeEvent
    db.session.rollback()
    kinds = {k for (k,) in db.session.execute(select(LifeEvent.kind).distinct())}
    assert {"three_checks", "pregnancy_planned", "prepregnancy_check", "moved_out", "moved_in",
            "double_check", "reward_paid", "pregnancy_ended", "newborn_death",
            "pregnancy_reported", "certificate_issued"} <= kinds
