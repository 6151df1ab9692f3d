"""The ground truth of a generated town, and the register counts it is checked against.

`register_counts` counts a register by village the same way whether the register is the
server's (read from the database by `server_register`) or the one the simulation expects
(`expected_register`: every submission's entity changes applied in the order the server
applies them). The truth file holds both that expectation and the world as it really is, with
the mess that separates them written out: duplicates, births never reported, pregnancies
registered twice, outcomes never recorded.
"""
import datetime as dt

from sqlalchemy import select

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
    # a held submission applies right after the one it waited for (filled before it)
    ops = sorted(((op[0], sub.filled, sub.seq, op) for sub in subs if not sub.flagged
                  for op in sub.ops), key=lambda x: x[:3])
    register = {}
    for *_, (_apply, dataset, uuid, kind, props) in ops:
        data = register.setdefault((dataset, uuid), {})
        data.update(props)
    return register


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
                                                 "households": 0})
        if person.present:
            v["population"] += 1
            if person.sex == "female" and 15 <= person.age(end) <= 49:
                v["women_15_49"] += 1
    for household in world.households.values():
        villages[household.village]["households"] += 1
    for code, (boys, girls) in town.births_by_village.items():
        v = villages.setdefault(code, {})
        v["births_male"], v["births_female"] = boys, girls
        v["sex_ratio_at_birth"] = round(100 * boys / girls, 1) if girls else None
    return {"villages": dict(sorted(villages.items())), "events": town.events,
            "losses": town.losses}


def truth_document(town, subs):
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
                   "checks_coverage": p.checks_coverage},
        "submissions": {"total": len(subs), "by_form": dict(sorted(forms.items())),
                        "flagged": sum(1 for sub in subs if sub.flagged),
                        "late": town.fleet.late, "out_of_order": town.fleet.swapped},
        "world": world_counts(town),
        "register": expected,
        "mess": town.mess,
    }
