"""Learning the matcher's weights and thresholds (app/quality/weights.json) on synthetic towns
whose truth says which people are the same person.

    python -m app.quality.learn TOWN_DB:TRUTH.json [TOWN_DB:TRUTH.json ...] [--write]

Each town is a database made by `flask demo town` and its truth file (mess["duplicates"]:
the original's and the duplicate's uuids). The held registrations among the duplicates (a
mistyped ID number fails its check character, so the submission waits for a supervisor) are
approved first, as a supervisor does after looking at them: only then are they in the register.

Supervised Fellegi–Sunter: every pair the blocking yields (matching.candidates) is compared;
m(level) is the share of true pairs showing that level of a field, u(level) its share among
200,000 pairs of people drawn at random from each town (as u is defined: how often two
different people agree by chance); weight = log2(m/u), counts smoothed by adding 0.5 to each
level, among the pairs showing the field on both sides; a field fewer than 10 true pairs
show (the duplicates' registrations carry no spouse or mother) is not learned and weighs
nothing. A field
missing on either side weighs nothing. Thresholds: "likely" is the lowest score above every
false pair's; "possible" the lowest score at which the pairs at or above it are still 99 %
true — both measured on the same towns, and both rounded down to a tenth. When every true
pair scores above every false one (the towns so far), "likely" is the lowest true pair's
score and "possible" a tenth above the highest false pair's: the widest band that learned no
false pair, so records with fewer fields filled in (no birth date, no household) still reach it.
"""
import argparse
import json
import math
import os
import sys
from collections import Counter

from app.quality import matching

SMOOTHING = 0.5
RANDOM_PAIRS = 200_000      # per town
MIN_TRUE = 10               # a field fewer true pairs show is not learned (weighs nothing)
POSSIBLE_PRECISION = 0.99


def approve_held(session, truth):
    """Approve the held registrations of the truth's duplicates (a supervisor's review).
    Returns how many."""
    from sqlalchemy import select   # noqa: PLC0415

    from app.auth.accounts import create_user   # noqa: PLC0415
    from app.auth.actors import from_user   # noqa: PLC0415
    from app.register.models import EntityVersion   # noqa: PLC0415
    from app.submissions.models import Submission   # noqa: PLC0415
    from app.submissions.queries import set_review_state   # noqa: PLC0415
    import secrets   # noqa: PLC0415
    from app.auth.models import User   # noqa: PLC0415
    user = session.scalar(select(User).where(User.username == "learn-supervisor")) or create_user(
        session, "learn-supervisor", secrets.token_urlsafe(16), "supervisor", "Doorstep")
    session.commit()
    actor = from_user(user)
    held = session.scalars(select(Submission).where(
        Submission.review_state == "hasIssues", Submission.in_register.is_(False),
        Submission.deleted_at.is_(None))).all()
    wanted = {d["duplicate"] for d in truth["mess"]["duplicates"]}
    approved = 0
    for submission in held:
        xml_uuids = _entity_uuids(session, submission)
        if xml_uuids & wanted and not session.scalar(select(EntityVersion.id).where(
                EntityVersion.submission_id == submission.id)):
            set_review_state(session, actor, submission, "approved")
            session.commit()
            approved += 1
    return approved


def _entity_uuids(session, submission):
    import re   # noqa: PLC0415

    from sqlalchemy import select   # noqa: PLC0415

    from app.submissions.models import SubmissionDef   # noqa: PLC0415
    xml = session.scalar(select(SubmissionDef.xml).where(
        SubmissionDef.submission_id == submission.id, SubmissionDef.current.is_(True))) or ""
    return set(re.findall(r'id="(?:uuid:)?([0-9a-f-]{36})"', xml))


def register_people(session):
    """Every live person of the register's `people` lists, as matching.Person."""
    from sqlalchemy import select   # noqa: PLC0415

    from app.register.models import Dataset, Entity   # noqa: PLC0415
    from app.quality.duplicates import person_of   # noqa: PLC0415
    rows = session.execute(select(Entity.uuid, Entity.data, Entity.label).join(
        Dataset, Dataset.id == Entity.dataset_id).where(
        Dataset.name == "people", Entity.deleted_at.is_(None))).all()
    return [person_of(r) for r in rows]


def true_pairs(truth):
    """Every pair of records of one person: the truth's (original, duplicate) pairs, and two
    duplicates of one original with each other (someone registered three times is three
    pairs)."""
    records = {}
    for d in truth["mess"]["duplicates"]:
        records.setdefault(d["original"], {d["original"]}).add(d["duplicate"])
    return {tuple(sorted((a, b))) for group in records.values() for a in group for b in group
            if a < b}


def compared(people, truth_pairs):
    """[(levels, is true)] of every blocked pair."""
    return [(matching.levels(a, b), (a.key, b.key) in truth_pairs)
            for a, b in matching.candidates(people)]


def random_pairs(people, n, seed=0):
    """[(levels, False)] of `n` pairs of different people drawn at random (almost all of
    them different persons: u is how often two people picked at random agree)."""
    import random   # noqa: PLC0415
    rng = random.Random(seed)
    out = []
    while len(out) < n and len(people) > 1:
        a, b = rng.sample(people, 2)
        out.append((matching.levels(a, b), False))
    return out


def weights_of(samples, randoms):
    """{field: {level: log2(m/u)}}: m from the true pairs of `samples` [(levels, is true)],
    u from `randoms` [(levels, False)]."""
    m, u = Counter(), Counter()
    n_m, n_u = Counter(), Counter()          # pairs showing the field at all
    seen = {}
    for found, is_true in samples:
        if is_true:
            for f, level in found.items():
                m[(f, level)] += 1
                n_m[f] += 1
                seen.setdefault(f, set()).add(level)
    for found, _false in randoms:
        for f, level in found.items():
            u[(f, level)] += 1
            n_u[f] += 1
            seen.setdefault(f, set()).add(level)
    out = {}
    for f, level_fn in matching.FIELDS:
        levels = sorted(seen.get(f, ()))
        if n_m[f] < MIN_TRUE or not levels:      # too few true pairs show it: not learned
            continue
        k = len(levels)
        out[f] = {level: round(math.log2(
            ((m[(f, level)] + SMOOTHING) / (n_m[f] + SMOOTHING * k))
            / ((u[(f, level)] + SMOOTHING) / (n_u[f] + SMOOTHING * k))), 3)
                  for level in levels}
    return out


def thresholds_of(scored):
    """{"likely", "possible"} from [(score, is true)] (see the module's docstring)."""
    false_max = max((s for s, t in scored if not t), default=0.0)
    true_min = min((s for s, t in scored if t), default=false_max + 0.2)
    if true_min > false_max:        # separated: possible just above every false pair
        return {"likely": _tenth(true_min), "possible": round(_tenth(false_max) + 0.1, 1)}
    possible, tp, n = false_max, 0, 0
    for s, t in sorted(scored, key=lambda x: -x[0]):
        n += 1
        tp += t
        if t and tp / n >= POSSIBLE_PRECISION:
            possible = s
    return {"likely": round(_tenth(false_max) + 0.1, 1),
            "possible": _tenth(min(possible, false_max))}


def _tenth(value):
    return math.floor(value * 10) / 10


def learn(towns):
    """(model dict, figures) from [(people, truth pairs, name)]."""
    samples, randoms, named = [], [], []
    for people, pairs, name in towns:
        found = compared(people, pairs)
        samples += found
        randoms += random_pairs(people, RANDOM_PAIRS)
        named.append({"town": name, "people": len(people), "true_pairs": len(pairs),
                      "blocked_pairs": len(found),
                      "true_pairs_blocked": sum(1 for _l, t in found if t)})
    weights = weights_of(samples, randoms)
    scored = [(matching.score(found, weights), t) for found, t in samples]
    thresholds = thresholds_of(scored)
    trues = sorted(s for s, t in scored if t)
    falses = sorted((s for s, t in scored if not t), reverse=True)
    print("lowest true scores", trues[:8], "highest false", falses[:8], file=sys.stderr)
    return {"weights": weights, "thresholds": thresholds}, named


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("towns", nargs="+", metavar="DB_URL:TRUTH.json")
    parser.add_argument("--write", action="store_true", help="write app/quality/weights.json")
    args = parser.parse_args(argv)
    from app import create_app   # noqa: PLC0415
    from app.db import db   # noqa: PLC0415
    towns = []
    for spec in args.towns:
        url, _, truth_path = spec.rpartition(":")
        with open(truth_path, encoding="utf-8") as f:
            truth = json.load(f)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "learn",
                          "DATA_DIR": os.path.join(os.path.dirname(truth_path), "data")})
        with app.app_context():
            approve_held(db.session, truth)
            towns.append((register_people(db.session), true_pairs(truth),
                          f"seed {truth['params']['seed']}, {truth['params']['people']} people"))
            db.engine.dispose()
    model, named = learn(towns)
    model["learned_on"] = named
    print(json.dumps(model, indent=1, ensure_ascii=False))
    if args.write:
        with open(matching.WEIGHTS_PATH, "w", encoding="utf-8") as f:
            json.dump(model, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
