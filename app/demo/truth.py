"""The ground truth of a generated town, and the register counts it is checked against.

`register_counts` counts a register by village the same way whether the register is the
server's (read from the database by `server_register`) or the one the simulation expects
(`expected_register`: every submission's entity changes applied in the order the server
applies them). The truth file holds both that expectation and the world as it really is, with
the mess that separates them written out: duplicates, births never reported, pregnancies
registered twice, outcomes never recorded.

The life events are checked the same way: every simulated submission carries the events it
reports (app.demo.town.event), and `event_counts` counts them, or the server's `life_events`
rows (`server_events`), by kind, month of the event's own date, village and the details the
town's figures are made of (`KEYS`).
"""
import collections
import datetime as dt
import json

from sqlalchemy import select

from app.demo.town import RATES

COUNTS = ("households", "people", "present", "deceased", "moved_in", "moved_out",
          "women_15_49", "born_male", "born_female", "pregnancies_open",
          "pregnancies_delivered", "pregnancies_lost", "checked", "prepregnancy_checked")


def _age(dob, on):
    try:
        born = dt.date.fromisoformat(dob)
    except (TypeError, ValueError):
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def register_counts(rows, start, end):
    """rows: (dataset name, data dict) of every live entity. Returns {village: {count: n}}
    plus a "town" total."""
    out = {}

    def bump(village, key):
        counts = out.setdefault(village or "", dict.fromkeys(COUNTS, 0))
        counts[key] += 1

    start_iso = start.isoformat()
    for dataset, data in rows:
        village = data.get("village", "")
        if dataset == "households":
            bump(village, "households")
        elif dataset == "people":
            bump(village, "people")
            dead = data.get("deceased") == "yes"
            residence = data.get("residence_status", "")
            if dead:
                bump(village, "deceased")
            elif residence != "moved_out":
                bump(village, "present")
            if residence in ("moved_in", "moved_out"):
                bump(village, residence)
            age = _age(data.get("dob"), end)
            if not dead and residence != "moved_out" and data.get("sex") == "female" \
                    and age is not None and 15 <= age <= 49:
                bump(village, "women_15_49")
            if (data.get("dob") or "") >= start_iso and data.get("sex") in ("male", "female"):
                bump(village, "born_" + data["sex"])
            if data.get("last_checks_date"):
                bump(village, "checked")
            if data.get("prepregnancy_check_date"):
                bump(village, "prepregnancy_checked")
        elif dataset == "pregnancies":
            status = data.get("status")
            key = {"reported": "pregnancies_open", "confirmed": "pregnancies_open",
                   "delivered": "pregnancies_delivered", "lost": "pregnancies_lost"}.get(status)
            if key:
                bump(village, key)
    town = dict.fromkeys(COUNTS, 0)
    for counts in out.values():
        for key, n in counts.items():
            town[key] += n
    out["town"] = town
    return dict(sorted(out.items()))


def expected_register(subs):
    """{(dataset, uuid): data} after applying every submission's entity changes in the order
    the server applies them (arrival, or a held chain's predecessor's arrival). Submissions
    made with a deliberate slip are held for review (the forms' default) and change nothing."""
    # a held submission applies right after the one it waited for (filled before it); one
    # approved after review applies when the supervisor approves it, after everything else
    last = dt.datetime.max
    ops = sorted(((last if sub.approve else op[0], sub.filled, sub.seq, op) for sub in subs
                  if not sub.flagged or sub.approve for op in sub.ops), key=lambda x: x[:3])
    register = {}
    for *_, (_apply, dataset, uuid, kind, props) in ops:
        data = register.setdefault((dataset, uuid), {})
        data.update(props)
    return register


#: kind -> the details an event is counted by, besides its kind, month and village
KEYS = {
    "birth": ("sex", "place"),
    "newborn_death": ("place", "sex"),
    "death": ("cause", "place", "sex", "marital_status", "contraception"),
    "marriage": ("known_woman",),
    "divorce": ("known_woman",),
    "moved_in": ("migrant", "sex", "marital_status", "contraception"),
    "moved_out": ("migrant", "sex", "marital_status", "contraception"),
    "registered": ("sex", "marital_status", "residence_status"),
    "pregnancy_reported": ("reported_by",),
    "pregnancy_confirmed": (),
    "pregnancy_ended": ("outcome", "reason", "weeks", "approval"),
    "ultrasound": ("facility",),
    "contraception_procedure": ("procedure", "previous_method"),
    "method_changed": ("method", "previous_method"),
    "iud_check": ("result",),
    "three_checks": ("round",),
    "pregnancy_planned": (),
    "prepregnancy_check": ("result",),
    "certificate_issued": ("certificate",),
    "double_check": ("direction", "received"),
    "reward_paid": ("benefit",),
}
TERMINATIONS = ("induced_abortion", "medical_termination")


def _detail(kind, details, name):
    if kind == "pregnancy_ended" and name == "approval":
        # a termination at 15 weeks or later: with or without its approval number
        try:
            late = details.get("outcome") in TERMINATIONS and int(details.get("weeks")) >= 15
        except (TypeError, ValueError):
            late = False
        if not late:
            return ""
        return "yes" if details.get("approval", details.get("approval_no")) not in (
            "", None, "no") else "no"
    if name == "known_woman":
        # whether the wife is named with her birth date: only then can the married women's
        # stock count her (her uuid itself is no figure)
        return "yes" if details.get("woman") and details.get("woman_dob") else "no"
    value = details.get(name)
    return "" if value is None else str(value)


def key(kind, on, village, details):
    """(kind, YYYY-MM, village, (detail=value, ...)): what one event is counted as."""
    if isinstance(on, str):
        on = dt.date.fromisoformat(on[:10]) if on else None
    return (kind, f"{on:%Y-%m}" if on else "", village or "",
            tuple(f"{name}={_detail(kind, details, name)}" for name in KEYS.get(kind, ())))


def expected_events(subs):
    """Counter of event keys the submissions should leave in `life_events`: those of every
    submission that changes the register (not held for review, or approved after it)."""
    counts = collections.Counter()
    for sub in subs:
        if sub.flagged and not sub.approve:
            continue
        for kind, on, village, details in sub.events:
            counts[key(kind, on, village, details)] += 1
    return counts


def server_events(session):
    """Counter of event keys of the server's `life_events` rows (each with its village's
    code)."""
    from app.events.models import LifeEvent
    from app.projects.models import Area
    counts = collections.Counter()
    for kind, on, village, details in session.execute(select(
            LifeEvent.kind, LifeEvent.occurred_on, Area.code, LifeEvent.details)
            .outerjoin(Area, Area.id == LifeEvent.area_id)):
        if isinstance(details, str):
            details = json.loads(details or "{}")
        counts[key(kind, on, village, details or {})] += 1
    return counts


def event_table(counts):
    """{kind: {month: {village: n}}} and {kind: {detail=value: n}} of a Counter of keys, for
    the truth file and for people to read."""
    by_month, by_detail = {}, {}
    for (kind, month, village, details), n in sorted(counts.items()):
        months = by_month.setdefault(kind, {}).setdefault(month, {})
        months[village] = months.get(village, 0) + n
        kinds = by_detail.setdefault(kind, {})
        for detail in details:
            kinds[detail] = kinds.get(detail, 0) + n
    return {"by_month_and_village": by_month, "by_details": by_detail,
            "totals": {kind: sum(n for k, n in counts.items() if k[0] == kind)
                       for kind in sorted({k[0] for k in counts})}}


def event_rows(counts):
    """A Counter of keys as JSON rows [kind, month, village, [details], n] (the truth file)."""
    return [[kind, month, village, list(details), n]
            for (kind, month, village, details), n in sorted(counts.items())]


def counter_from_rows(rows):
    return collections.Counter({(kind, month, village, tuple(details)): n
                                for kind, month, village, details, n in rows})


def event_differences(expected, found):
    """[(key, expected, found)] wherever the two Counters differ."""
    return [(k, expected.get(k, 0), found.get(k, 0))
            for k in sorted(set(expected) | set(found), key=repr)
            if expected.get(k, 0) != found.get(k, 0)]


def server_register(session):
    """(dataset name, data) of every live entity in the database."""
    from app.register.models import Dataset, Entity
    return session.execute(select(Dataset.name, Entity.data).join(
        Dataset, Dataset.id == Entity.dataset_id).where(Entity.deleted_at.is_(None))).all()


def world_counts(town):
    """What really happened, by the town's own figures (not what reached the register)."""
    world, end = town.world, town.p.end
    villages = {}
    for person in world.people.values():
        v = villages.setdefault(person.village, {"population": 0, "women_15_49": 0,
                                                 "married_women_15_49": 0,
                                                 "married_women_15_49_using_a_method": 0,
                                                 "households": 0})
        if person.present:
            v["population"] += 1
            if person.sex == "female" and 15 <= person.age(end) <= 49:
                v["women_15_49"] += 1
                if person.marital in ("first_marriage", "remarried"):
                    v["married_women_15_49"] += 1
                    # the methods a woman really uses (the reports' prevalence's numerator)
                    if person.contraception not in ("", "none"):
                        v["married_women_15_49_using_a_method"] += 1
    for household in world.households.values():
        villages[household.village]["households"] += 1
    for code, (boys, girls) in town.births_by_village.items():
        v = villages.setdefault(code, {})
        v["births_male"], v["births_female"] = boys, girls
        v["sex_ratio_at_birth"] = round(100 * boys / girls, 1) if girls else None
    return {"villages": dict(sorted(villages.items())), "events": town.events,
            "losses": town.losses, "rates": world_rates(town)}


def world_rates(town):
    """The year's figures the town watches, from what really happened: per 1,000 people a
    year (births, deaths, marriages, divorces, migrants in and out), shares of pregnancies
    and births, and three-checks coverage of married women 15–49 per round."""
    p, events = town.p, town.events
    people = len([x for x in town.world.people.values() if x.dob < p.start]) or 1
    years = p.months / 12

    def per_1000(n):
        return round(1000 * n / people / years, 1)

    births = events["births_male"] + events["births_female"]
    ended = births + sum(town.losses.values())
    # plans whose check-up weeks (20–55 days before the period) fell inside the run
    first, last = p.start + dt.timedelta(days=90), p.end + dt.timedelta(days=20)
    plans = [plan for plan in town.plans.values() if first <= plan["lmp"] < last]
    return {"population_at_start": people,
            "births_per_1000": per_1000(births), "deaths_per_1000": per_1000(events["deaths"]),
            "marriages_per_1000": per_1000(events["marriages_in"] + events["marriages_out"]),
            "divorces_per_1000": per_1000(events["divorces"]),
            "migrants_in_per_1000": per_1000(events["migrants_in"]),
            "migrants_out_per_1000": per_1000(events["migrants_out"]),
            "losses_share_of_ended_pregnancies": round(sum(town.losses.values()) / ended, 3)
            if ended else None,
            "sex_ratio_at_birth": round(100 * events["births_male"] / events["births_female"], 1)
            if events["births_female"] else None,
            "prepregnancy_coverage": round(sum(plan["checked"] for plan in plans) / len(plans),
                                           3) if plans else None}


def truth_document(town, subs):
    from app.demo.report_truth import report_truth
    p = town.p
    expected = register_counts(
        [(dataset, data) for (dataset, _), data in expected_register(subs).items()],
        p.start, p.end)
    forms = {}
    for sub in subs:
        forms[sub.form] = forms.get(sub.form, 0) + 1
    return {
        "params": {"seed": p.seed, "villages": p.villages, "people": p.people,
                   "months": p.months, "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "sex_ratio": p.sex_ratio, "village_sex_ratio": p.village_sex_ratio,
                   "duplicate_rate": p.duplicate_rate,
                   "unreported_birth_rate": p.unreported_birth_rate, "late_rate": p.late_rate,
                   "out_of_order_rate": p.out_of_order_rate,
                   "checks_coverage": p.checks_coverage,
                   **{name: getattr(p, name) for name in RATES}},
        "submissions": {"total": len(subs), "by_form": dict(sorted(forms.items())),
                        "flagged": sum(1 for sub in subs if sub.flagged and not sub.approve),
                        "approved_after_review": sum(1 for sub in subs if sub.approve),
                        "late": town.fleet.late, "out_of_order": town.fleet.swapped},
        "world": world_counts(town),
        "register": expected,
        "events": event_table(expected_events(subs)),
        "event_counts": event_rows(expected_events(subs)),
        "mess": town.mess,
        # the report figures and lists expected (app.demo.report_truth)
        "reports": report_truth(town, subs),
    }
