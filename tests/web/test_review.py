"""The review pages through the test client on a real database: the queue's filters, paging
and village scope; a submission shown as its form shows it (labels in both languages, a
repeat, an image, an issue beside its field); review actions and comments, audited; a flagged
submission corrected in the browser becoming a new version that is revalidated and merged;
a stale correction refused."""
import re
from datetime import datetime

from lxml import etree
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.register.models import Entity
from app.submissions.models import Submission, SubmissionComment, SubmissionDef
from tests.factories import make_instance
from tests.samples import instance
from tests.samples.register import SUN_MIN

LINK = re.compile(r'href="/submissions/(\d+)[?"]')
MORE = re.compile(r'<p class="more"><a href="([^"]+)"')
BAD_ID = "610425199912010928"           # SUN_MIN's ID number with a wrong check digit
GOOD_ID = "610425199912010927"


def _ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [int(i) for i in LINK.findall(response.get_data(as_text=True))]


def _simple(phone, village="dongwan", photo=None, **values):
    values = {"name": "王小梅", "village": village, **values}
    files = {}
    if photo:
        values["photo"] = photo
        files[photo] = b"\x89PNG\r\n\x1a\n a photo"
    assert phone.submit(make_instance("simple", "1", values=values), files=files).status_code == 201


def _last(db):
    db.session.rollback()
    return db.session.scalar(select(Submission).order_by(Submission.id.desc()))


def _flagged(town, db, **changes):
    """SUN_MIN's person form with a wrong ID number check digit: stored, hasIssues, held."""
    root = etree.fromstring(instance("person_method_stated"))
    root.find("id_number").text = BAD_ID
    for name, value in changes.items():
        root.find(name).text = value
    assert town.phone("worker_a").submit(etree.tostring(root)).status_code == 201
    found = _last(db)
    assert (found.review_state, found.in_register) == ("hasIssues", False)
    return found


def _audits(db, action, target):
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.target == target)).all()


# --- the queue -----------------------------------------------------------------------------


def test_the_queue_pages_by_25_newest_first_without_repeating_a_row(town, simple_form, db,
                                                                   console):
    for n in range(27):
        _simple(town.phone("worker_a"), name=f"人{n}")
    admin = console("admin")
    first = admin.get("/review")
    ids = _ids(first)
    assert len(ids) == 25 and ids == sorted(ids, reverse=True)
    more = MORE.search(first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    rest = _ids(admin.get(more))
    assert len(rest) == 2 and not set(rest) & set(ids)
    assert MORE.search(admin.get(more).get_data(as_text=True)) is None
    assert admin.get("/review?after=nonsense").status_code == 400


def test_the_queue_filters_by_state_form_submitter_and_received_date(town, simple_form, db,
                                                                     console, personas):
    _simple(town.phone("worker_a"))
    _simple(town.phone("leader"))
    old = _last(db)
    flagged = _flagged(town, db)
    db.session.execute(update(Submission).where(Submission.id == old.id)
                       .values(created_at=datetime(2026, 1, 10, 4, 0)))
    db.session.commit()
    admin = console("admin")
    everything = _ids(admin.get("/review"))
    assert len(everything) == 3
    assert _ids(admin.get("/review?state=hasIssues")) == [flagged.id]
    assert flagged.id not in _ids(admin.get("/review?state=received"))
    assert _ids(admin.get("/review?form=person")) == [flagged.id]
    assert _ids(admin.get(f"/review?submitter=app_user:{personas['leader'].id}")) == [old.id]
    assert _ids(admin.get("/review?since=2026-01-10&until=2026-01-10")) == [old.id]
    assert old.id not in _ids(admin.get("/review?since=2026-01-11"))
    assert admin.get("/review?state=lost").status_code == 400
    page = admin.get("/review?state=hasIssues").get_data(as_text=True)
    assert "有问题" in page and ">1<" in page          # its badge and its count of issues


def test_the_submitter_filter_names_no_worker_of_another_village(town, console, db):
    """Its list once held every phone and web user of the town, whatever the reader's
    villages (worker_b and her phone are xishan's)."""
    from app.auth import accounts
    accounts.create_user(db.session, "xishan_sup", "xishan-password-1", "supervisor", "Doorstep",
                         ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    options = re.compile(r'<option value="(?:app_user|user):\d+"[^>]*>([^<]+)</option>')
    mine = set(options.findall(console("supervisor").get("/review").get_data(as_text=True)))
    assert {"worker_a", "leader", "supervisor", "admin"} <= mine
    assert not mine & {"worker_b", "xishan_sup"}
    every = set(options.findall(console("admin").get("/review").get_data(as_text=True)))
    assert {"worker_a", "worker_b", "leader", "supervisor", "xishan_sup", "viewer"} <= every


def test_the_queue_shows_a_supervisor_her_villages_only(town, simple_form, db, console):
    _simple(town.phone("worker_a"))
    mine = _last(db)
    _simple(town.phone("worker_b"), village="xishan")
    theirs = _last(db)
    supervisor = console("supervisor")
    assert _ids(supervisor.get("/review")) == [mine.id]
    assert _ids(supervisor.get("/review?village=dongwan")) == [mine.id]
    assert supervisor.get("/review?village=xishan").status_code == 403
    assert _ids(console("admin").get("/review?village=xishan")) == [theirs.id]
    for url in (f"/submissions/{theirs.id}", f"/submissions/{theirs.id}/edit",
                f"/submissions/{theirs.id}/xml"):
        assert supervisor.get(url).status_code == 404, url
    assert supervisor.post(f"/submissions/{theirs.id}/review",
                           {"state": "approved"}).status_code == 404
    db.session.rollback()
    assert db.session.get(Submission, theirs.id).review_state is None


# --- the submission page ---------------------------------------------------------------------


def test_the_submission_shows_its_forms_labels_in_chinese_and_english_with_the_issue_beside_its_field(
        town, db, console):
    flagged = _flagged(town, db)
    admin = console("admin")
    zh = admin.get(f"/submissions/{flagged.id}").get_data(as_text=True)
    assert "身份证号" in zh and "女" in zh                 # a label, a choice label (sex)
    issue = re.search(r'<dt class="flagged">([^<]+)</dt>\s*<dd class="flagged">\s*([^<]+?)\s*'
                      r'<p class="problem issue">([^<]+)</p>', zh)
    assert issue and "身份证号" in issue.group(1) and issue.group(2) == BAD_ID
    assert "校验位不正确" in issue.group(3)
    # answers picked from the phone's lists: the village's name, the person linked
    answers = zh.split("<h2>填报内容</h2>")[1]
    assert "东湾村" in answers and "dongwan" not in answers
    assert f'<a href="/people/{SUN_MIN}">孙敏</a>' in zh
    en = admin.get(f"/submissions/{flagged.id}?lang=en").get_data(as_text=True)
    assert "ID number" in en and "Female" in en and "check digit is wrong" in en
    assert len(_audits(db, "submission.read", f"submission:{flagged.id}")) == 2


def test_the_submission_shows_a_repeat_entry_by_entry(town, db, console):
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    found = _last(db)
    page = console("admin").get(f"/submissions/{found.id}").get_data(as_text=True)
    entries = re.findall(r'<div class="card repeat"><h4>([^<]+)</h4>', page)
    assert len(entries) == 6 and entries[0].endswith(" 1") and entries[5].endswith(" 6")
    assert "王小妹" in page                              # the new baby, in the sixth entry


def test_an_image_is_shown_inline_and_served_only_as_the_submissions_own_file(
        town, simple_form, db, console):
    _simple(town.phone("worker_a"), photo="p.png")
    found = _last(db)
    admin = console("admin")
    page = admin.get(f"/submissions/{found.id}").get_data(as_text=True)
    src = f"/submissions/{found.id}/attachments/p.png"
    assert f'<img class="shot" src="{src}"' in page
    photo = admin.get(src)
    assert photo.status_code == 200 and photo.data.startswith(b"\x89PNG")
    assert photo.headers["Content-Type"] == "image/png"
    assert photo.headers["Content-Disposition"].startswith('attachment; filename="p.png"')
    assert "sandbox" in photo.headers["Content-Security-Policy"]
    assert [a.details for a in _audits(db, "submission.read", f"submission:{found.id}")
            if a.details] == [{"part": "p.png"}]
    assert admin.get(f"/submissions/{found.id}/attachments/other.png").status_code == 404
    assert admin.get(f"/submissions/{found.id}/attachments/..%2Fsecret").status_code == 404
    xml = admin.get(f"/submissions/{found.id}/xml")
    assert xml.status_code == 200 and b"<photo>p.png</photo>" in xml.data
    assert "attachment" in xml.headers["Content-Disposition"]


def test_previous_and_next_stay_within_the_queues_filter(town, simple_form, db, console):
    _simple(town.phone("worker_a"))
    first = _last(db)
    _flagged(town, db)
    _simple(town.phone("worker_a"))
    third = _last(db)
    page = console("admin").get(f"/submissions/{third.id}?form=simple").get_data(as_text=True)
    older = re.search(r'rel="next" href="([^"]+)"', page).group(1)
    assert older.startswith(f"/submissions/{first.id}?") and "form=simple" in older
    assert 'rel="prev"' not in page


# --- review actions --------------------------------------------------------------------------


def test_approving_a_held_submission_merges_it_as_the_api_would(town, db, console):
    flagged = _flagged(town, db, phone="13600007777")
    supervisor = console("supervisor")
    response = supervisor.post(f"/submissions/{flagged.id}/review?state=hasIssues",
                               {"state": "approved", "comment": "电话已核实"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/submissions/{flagged.id}?state=hasIssues"
    db.session.rollback()
    found = db.session.get(Submission, flagged.id)
    assert (found.review_state, found.in_register) == ("approved", True)
    person = db.session.scalar(select(Entity).where(Entity.uuid == SUN_MIN))
    assert person.data["phone"] == "13600007777"
    [state] = _audits(db, "submission.update", f"submission:{flagged.id}")
    assert (state.actor_type, state.details) == ("user", {"reviewState": "approved"})
    assert len(_audits(db, "submission.comment", f"submission:{flagged.id}")) == 1
    page = supervisor.get(f"/submissions/{flagged.id}").get_data(as_text=True)
    assert "电话已核实" in page and "supervisor" in page
    assert f'href="/people/{SUN_MIN}"' in page


def test_register_effects_show_only_records_now_of_her_villages(town, db, console):
    """A person the submission changed who has since moved to another village is no longer
    named in its register effects (her label there was once shown to the old village)."""
    flagged = _flagged(town, db, phone="13600007777")
    supervisor = console("supervisor")
    assert supervisor.post(f"/submissions/{flagged.id}/review",
                           {"state": "approved"}).status_code == 303
    assert f'href="/people/{SUN_MIN}"' in supervisor.get(f"/submissions/{flagged.id}").get_data(
        as_text=True)
    from app.projects.models import Area
    xishan = db.session.scalar(select(Area.id).where(Area.code == "xishan"))
    db.session.execute(update(Entity).where(Entity.uuid == SUN_MIN).values(area_id=xishan))
    db.session.commit()
    page = supervisor.get(f"/submissions/{flagged.id}").get_data(as_text=True)
    assert f'href="/people/{SUN_MIN}"' not in page and 'class="effects"' not in page
    assert f'href="/people/{SUN_MIN}"' in console("admin").get(
        f"/submissions/{flagged.id}").get_data(as_text=True)


def test_rejecting_and_commenting_alone_are_kept_and_audited(town, simple_form, db, console):
    _simple(town.phone("worker_a"))
    found = _last(db)
    admin = console("admin")
    assert admin.post(f"/submissions/{found.id}/review", {"comment": "请补拍照片"}).status_code == 303
    assert admin.post(f"/submissions/{found.id}/review", {"state": "rejected"}).status_code == 303
    assert admin.post(f"/submissions/{found.id}/review", {}).status_code == 400
    db.session.rollback()
    assert db.session.get(Submission, found.id).review_state == "rejected"
    [comment] = db.session.scalars(select(SubmissionComment)).all()
    assert (comment.body, comment.actor_kind, comment.submission_id) == ("请补拍照片", "user",
                                                                         found.id)
    page = admin.get(f"/submissions/{found.id}").get_data(as_text=True)
    feed = page.split("<h2>审核记录</h2>")[1]
    assert feed.index("请补拍照片") < feed.index("将状态设为 已退回")


def test_a_viewer_reads_but_cannot_act(town, simple_form, db, console):
    _simple(town.phone("worker_a"))
    found = _last(db)
    viewer = console("viewer")
    page = viewer.get(f"/submissions/{found.id}").get_data(as_text=True)
    assert "王小梅" in page
    assert 'name="state"' not in page and f"/submissions/{found.id}/edit" not in page
    assert viewer.post(f"/submissions/{found.id}/review", {"state": "approved"}).status_code == 403
    assert viewer.get(f"/submissions/{found.id}/edit").status_code == 403


# --- correcting in the browser ---------------------------------------------------------------


def _edit_form(page):
    base = re.search(r'name="base" value="([^"]+)"', page).group(1)
    return {"base": base}


def test_a_flagged_submission_corrected_in_the_browser_is_a_new_version_revalidated_and_merged(
        town, db, console):
    flagged = _flagged(town, db, phone="13600007777")
    supervisor = console("supervisor")
    page = supervisor.get(f"/submissions/{flagged.id}/edit").get_data(as_text=True)
    assert f'value="{BAD_ID}"' in page and "校验位不正确" in page
    form = {**_edit_form(page), "v/data/id_number": GOOD_ID, "v/data/phone": "13600008888"}
    response = supervisor.post(f"/submissions/{flagged.id}/edit", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/submissions/{flagged.id}"
    db.session.rollback()
    old, new = db.session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id == flagged.id).order_by(SubmissionDef.id)).all()
    assert (new.deprecated_id, new.current, old.current) == (old.instance_id, True, False)
    assert new.instance_id.startswith("uuid:") and new.instance_id != old.instance_id
    assert (new.submitter_kind, new.issues) == ("user", [])
    found = db.session.get(Submission, flagged.id)
    assert (found.review_state, found.in_register) == ("edited", True)
    person = db.session.scalar(select(Entity).where(Entity.uuid == SUN_MIN))
    assert (person.data["id_number"], person.data["phone"]) == (GOOD_ID, "13600008888")
    assert [a.details["deprecatedId"] for a in
            _audits(db, "submission.update.version", f"submission:{flagged.id}")] == [
        old.instance_id]
    shown = supervisor.get(f"/submissions/{flagged.id}").get_data(as_text=True)
    assert "校验位不正确" not in shown.split("<h2>")[2]        # the answers: no issue now
    assert BAD_ID in shown and GOOD_ID in shown                # the version's changes


def test_a_stale_correction_is_refused_and_changes_nothing(town, db, console):
    flagged = _flagged(town, db)
    supervisor = console("supervisor")
    page = supervisor.get(f"/submissions/{flagged.id}/edit").get_data(as_text=True)
    form = {**_edit_form(page), "v/data/id_number": GOOD_ID}
    # meanwhile the worker sends an edit from her phone
    root = etree.fromstring(instance("person_method_stated"))
    meta = root.find("meta")
    etree.SubElement(meta, "deprecatedID").text = meta.find("instanceID").text
    meta.find("instanceID").text = "uuid:phone-edit"
    assert town.phone("worker_a").submit(etree.tostring(root)).status_code == 201
    response = supervisor.post(f"/submissions/{flagged.id}/edit", form)
    assert response.status_code == 409
    assert "已被修改" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(select(SubmissionDef.instance_id).where(
        SubmissionDef.submission_id == flagged.id, SubmissionDef.current.is_(True))).all() == [
        "uuid:phone-edit"]


def test_a_correction_that_changes_nothing_is_refused(town, db, console):
    flagged = _flagged(town, db)
    supervisor = console("supervisor")
    page = supervisor.get(f"/submissions/{flagged.id}/edit").get_data(as_text=True)
    response = supervisor.post(f"/submissions/{flagged.id}/edit",
                               {**_edit_form(page), "v/data/id_number": BAD_ID})
    assert response.status_code == 400
    db.session.rollback()
    assert len(db.session.scalars(select(SubmissionDef)).all()) == 1


def test_a_correction_with_a_character_xml_cannot_hold_is_refused_and_changes_nothing(
        town, db, console):
    """A control character (a form can send any) once reached lxml and was a 500."""
    flagged = _flagged(town, db)
    supervisor = console("supervisor")
    page = supervisor.get(f"/submissions/{flagged.id}/edit").get_data(as_text=True)
    response = supervisor.post(f"/submissions/{flagged.id}/edit",
                               {**_edit_form(page), "v/data/id_number": GOOD_ID + "\x01"})
    assert response.status_code == 400
    assert "v/data/id_number" in response.get_data(as_text=True)
    db.session.rollback()
    assert len(db.session.scalars(select(SubmissionDef)).all()) == 1


def test_marking_a_submission_as_having_issues_holds_its_state_and_is_audited(
        town, simple_form, db, console):
    _simple(town.phone("worker_a"))
    found = _last(db)
    assert console("supervisor").post(f"/submissions/{found.id}/review",
                                      {"state": "hasIssues"}).status_code == 303
    db.session.rollback()
    assert db.session.get(Submission, found.id).review_state == "hasIssues"
    [row] = _audits(db, "submission.update", f"submission:{found.id}")
    assert row.details == {"reviewState": "hasIssues"}


def test_a_correction_that_leaves_a_problem_stays_flagged_and_out_of_the_register(
        town, db, console):
    flagged = _flagged(town, db)
    supervisor = console("supervisor")
    page = supervisor.get(f"/submissions/{flagged.id}/edit").get_data(as_text=True)
    assert 'name="v/data/village"' not in page          # a pick from a list: not offered
    response = supervisor.post(f"/submissions/{flagged.id}/edit",
                               {**_edit_form(page), "v/data/phone": "13600005555"})
    assert response.status_code == 303
    db.session.rollback()
    found = db.session.get(Submission, flagged.id)
    assert (found.review_state, found.in_register) == ("hasIssues", False)
    person = db.session.scalar(select(Entity).where(Entity.uuid == SUN_MIN))
    assert person.data["phone"] != "13600005555"
    current = db.session.scalar(select(SubmissionDef).where(
        SubmissionDef.submission_id == flagged.id, SubmissionDef.current.is_(True)))
    assert [i["code"] for i in current.issues] == ["id_number_checksum"]


def test_a_multiple_choice_is_corrected_with_its_boxes_and_repeats_are_not_offered(
        town, db, console):
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    found = _last(db)
    admin = console("admin")
    page = admin.get(f"/submissions/{found.id}/edit").get_data(as_text=True)
    assert 'name="v/data/hh/family_status::none" value="1" checked' in page
    assert 'name="v/data/hh/family_status::two_daughters" value="1">' in page
    assert "v/data/member" not in page                      # the repeat: read-only
    assert '<input type="hidden" name="v/data/hh/family_status" value="1">' in page
    response = admin.post(f"/submissions/{found.id}/edit", {
        **_edit_form(page), "v/data/hh/family_status": "1",
        "v/data/hh/family_status::one_child": "1",
        "v/data/hh/family_status::low_income": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    current = db.session.scalar(select(SubmissionDef).where(
        SubmissionDef.submission_id == found.id, SubmissionDef.current.is_(True)))
    assert "<family_status>one_child low_income</family_status>" in current.xml
    assert current.deprecated_id is not None
