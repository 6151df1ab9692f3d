"""Sending a generated town through the real intake: one app user per simulated phone, scoped to
its villages like a real one, and every submission handed to `intake.receive` in the order it
reaches the server, exactly what the OpenRosa route does once it has parsed the request.
Afterwards anything still held for an offline predecessor is forced, a supervisor approves
the terminations held for a missing approval number (she has seen them), and the register and
its life events are counted and compared with what the simulation expected.
"""
import datetime as dt
import secrets
import time

from sqlalchemy import func, select

from app.auth.accounts import create_app_user, create_user
from app.auth.actors import app_user_by_token, from_user
from app.demo import truth
from app.problems import Problem
from app.register import merge
from app.submissions.intake import Upload, receive
from app.submissions.models import Submission
from app.submissions.queries import set_review_state


def is_empty(session):
    return not session.scalar(select(func.count()).select_from(Submission))


def phones(session, project_id, town):
    """An app user for every phone of the town, granted the forms it fills (a group leader
    only the pregnancy report), as a town would enrol them; returns {phone name: Actor}."""
    actors = {}
    names = sorted({sub.phone for sub in town.subs})
    for name in names:
        forms = sorted({sub.form for sub in town.subs if sub.phone == name})
        kind, _, village = name.partition(":")
        if kind in ("worker", "leader"):
            areas = [village]
        elif kind == "doctor":
            areas = sorted(v for v, d in town.doctors.items() if d == name)
        else:
            areas = None
        _, token = create_app_user(session, project_id, f"demo {name}", areas, forms)
        session.commit()
        actors[name] = app_user_by_token(session, token)
    return actors


def send(session, store, project_id, subs, actors, progress=lambda n: None, realm="Doorstep"):
    """Receive every submission in arrival order. Returns a summary dict."""
    outcomes, refused = {}, {}
    started = time.perf_counter()
    for i, sub in enumerate(subs, 1):
        try:
            result = receive(session, store, actors[sub.phone], project_id, Upload(xml=sub.xml))
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        except Problem as problem:
            refused[problem.code] = refused.get(problem.code, 0) + 1
        progress(i)
    seconds = time.perf_counter() - started
    forced = merge.process_backlog(session, older_than_days=0)
    session.commit()
    approved = approve_reviewed(session, subs, realm)
    return {"received": outcomes, "refused": refused, "seconds": round(seconds, 1),
            "per_second": round(len(subs) / seconds, 1) if seconds else None,
            "forced_from_backlog": forced, "approved_after_review": approved}


def approve_reviewed(session, subs, realm="Doorstep"):
    """A town supervisor approves the submissions the simulation marks for it (terminations
    held for a missing approval number: the record is true, the number is followed up)."""
    ids = [sub.instance_id for sub in subs if sub.approve]
    if not ids:
        return 0
    user = create_user(session, "demo-supervisor", secrets.token_urlsafe(16), "supervisor",
                       realm)
    session.commit()
    actor = from_user(user)
    approved = 0
    for submission in session.scalars(select(Submission).where(
            Submission.instance_id.in_([f"uuid:{i}" for i in ids] + ids))):
        if submission.review_state == "hasIssues":
            set_review_state(session, actor, submission, "approved")
            session.commit()
            approved += 1
    return approved


def compare(session, document):
    """(server counts, differences) between the register and its life events and the truth
    document's expectation; differences is {village: {count: (expected, found)}}, the number
    of submissions with issues when it is not the number made with a slip, and under
    "life events" every [kind, month, village, details] whose count differs, with the
    expected and found counts."""
    params = document["params"]
    found = truth.register_counts(truth.server_register(session),
                                  dt.date.fromisoformat(params["start"]),
                                  dt.date.fromisoformat(params["end"]))
    expected = document["register"]
    differences = {}
    # validation flags exactly the submissions made with a deliberate slip: the rest are as
    # clean as a phone's, so anything else it finds is a defect in the generator or the checks
    flagged = session.scalar(select(func.count()).select_from(Submission)
                             .where(Submission.review_state == "hasIssues"))
    if flagged != document["submissions"]["flagged"]:
        differences["submissions with issues"] = (document["submissions"]["flagged"], flagged)
    for village in sorted(set(found) | set(expected)):
        a, b = expected.get(village, {}), found.get(village, {})
        diff = {k: (a.get(k, 0), b.get(k, 0)) for k in truth.COUNTS
                if a.get(k, 0) != b.get(k, 0)}
        if diff:
            differences[village] = diff
    events = truth.event_differences(truth.counter_from_rows(document["event_counts"]),
                                     truth.server_events(session))
    if events:
        differences["life events"] = [[list(k), a, b] for k, a, b in events]
    return found, differences


def events_found(session):
    """The server's life events counted as the truth file counts them (app.demo.truth)."""
    return truth.event_table(truth.server_events(session))
