"""Submission XML for the town's forms, written the way ODK Collect writes it: the elements in
form order, calculated values filled in, questions that did not apply left empty, and the
entity blocks in each `meta`. The shapes follow the instances `@getodk/xforms-engine` produced
for tests/samples, so a generated town goes through exactly the checks a phone's would.

Each function takes plain values and returns bytes; `Entity` carries an entity block's
offline-branch facts, which only the phone simulation (app.demo.phones) knows.
"""
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

#: The version of each form whose instance shape the functions below write.
VERSIONS = {"contraception_service": "2026112901", "home_visit": "2026120301",
            "migrant": "2026120301", "person": "2026120301", "pregnancy_outcome": "2026120301",
            "pregnancy_report": "2026120301", "prepregnancy_check": "2026120301",
            "three_checks": "2026120301"}


@dataclass
class Entity:
    """One `<entity>` block. create/update: True, False or None (not declared by the form)."""
    dataset: str
    id: str
    create: bool | None = None
    update: bool | None = None
    label: str | None = None
    base: str = ""
    trunk: str = ""
    branch: str = ""

    def xml(self):
        attrs = [f'dataset="{self.dataset}"']
        if self.create is not None:
            attrs.append(f'create="{"true" if self.create else "false"}"')
        if self.update is not None:
            attrs.append(f'update="{"true" if self.update else "false"}"')
            attrs += [f'baseVersion="{self.base}"', f'trunkVersion="{self.trunk}"',
                      f'branchId="{self.branch}"']
        attrs.append(f"id={quoteattr(self.id)}")
        if self.label is None:
            return f"<entity {' '.join(attrs)}/>"
        return f"<entity {' '.join(attrs)}><label>{escape(self.label)}</label></entity>"


def _el(name, value):
    if value is None or value == "":
        return f"<{name}/>"
    return f"<{name}>{escape(str(value))}</{name}>"


def _els(pairs):
    return "".join(_el(k, v) for k, v in pairs)


def _document(form_id, filled, village, body, entities, instance_id, instance_name):
    stamp = filled.strftime("%Y-%m-%dT%H:%M:%S.000+08:00")
    head = (f'<data id="{form_id}" version="{VERSIONS[form_id]}"><start>{stamp}</start><end>{stamp}</end>'
            f"<today>{filled:%Y-%m-%d}</today><deviceid/>{_el('village', village)}")
    meta = (f"<meta>{''.join(e.xml() for e in entities)}<instanceID>uuid:{instance_id}"
            f"</instanceID>{_el('instanceName', instance_name)}</meta>")
    return (head + body + meta + "</data>").encode()


def _change_details(m, changes):
    """The 2026120301 answers a recorded change needs (cause and place of a death, the spouse's
    name, where a move came from or went to): what the demo's world knows, or a placeholder."""
    pairs = []
    if "death" in changes:
        pairs += [("death_cause", m.get("death_cause", "illness")),
                  ("death_place", m.get("death_place", "home"))]
    if "marriage" in changes or "divorce" in changes:
        pairs += [("spouse", m.get("spouse")), ("spouse_name", m.get("spouse_name") or "配偶")]
    if "moved_in" in changes:
        pairs.append(("moved_from", m.get("moved_from") or "外地"))
    if "moved_out" in changes:
        pairs.append(("moved_to", m.get("moved_to") or "外地"))
    if "moved_in" in changes or "moved_out" in changes:
        pairs.append(("within_town", m.get("within_town", "no")))
    return pairs


def _children(m):
    """Sons and daughters, asked of everyone ever married (2026120301)."""
    if m["marital_status"] in ("", "unmarried"):
        return [("sons", None), ("daughters", None)]
    return [("sons", m.get("sons", m.get("children_count", "0"))),
            ("daughters", m.get("daughters", "0"))]


def home_visit(filled, village, visit_date, household, hh_entity, members, instance_id):
    """household: dict(mode, id, head_name, address, phone, family_card_no); members: list
    of (person dict with mode/new_id/... , Entity)."""
    existing = household["mode"] == "existing"
    body = [_els([("visit_date", visit_date), ("hh_mode", household["mode"])]
                 + ([("household", household["id"])] if existing else []))]
    body.append(_els([("hh_new_id", household["new_id"]), ("hh_id", household["id"])]))
    body.append("<hh>" + _els([("head_name", household["head_name"]),
                               ("address", household["address"]),
                               ("hh_phone", household["phone"]),
                               ("family_card_no", household["family_card_no"]),
                               ("registration_type", household.get("registration_type", "agricultural")),
                               ("family_status", household.get("family_status", "none"))])
                + "</hh>")
    counted = 0
    for m, entity in members:
        is_existing = m["mode"] == "existing"
        changes = m["changes"]
        if "death" not in changes and m["residence_status"] != "moved_out":
            counted += 1
        body.append("<member>" + _els([
            ("member_mode", m["mode"]), ("person", m["id"] if is_existing else None),
            ("person_new_id", m["new_id"]), ("person_id", m["id"]),
            ("full_name", m["full_name"]), ("id_number", m["id_number"]), ("sex", m["sex"]),
            ("dob", m["dob"]), ("relation", m["relation"]), ("changes", changes),
            ("change_date", m["change_date"] if changes != "none" else None),
            *_change_details(m, changes.split()),
            ("marital_status", m["marital_status"]),
            ("residence_status", m["residence_status"]), ("member_phone", m["phone"]),
            *_children(m), ("deceased", m["deceased"]), ("member_household", household["id"]),
            ("member_village", village)]) + f"<meta>{entity.xml()}</meta></member>")
    body.append(_els([("member_count", counted), ("hh_village", village),
                      ("last_visit_date", visit_date)]))
    return _document("home_visit", filled, village, "".join(body), [hh_entity], instance_id,
                     f"{visit_date} {household['head_name']}")


def person(filled, village, p, entity, instance_id):
    existing = p["mode"] == "existing"
    body = _els([
        ("mode", p["mode"]), ("person", p["id"] if existing else None),
        ("change_reason", p.get("change_reason") or ("other" if not existing else None)),
        ("change_date", p["change_date"]), ("person_new_id", p["new_id"]), ("person_id", p["id"]),
        ("full_name", p["full_name"]), ("id_number", p["id_number"]), ("sex", p["sex"]),
        ("dob", p["dob"]), ("household", p["household"]), ("relation", p["relation"]),
        ("marital_status", p["marital_status"]), ("residence_status", p["residence_status"]),
        ("phone", p["phone"]), *_change_details(p, [p.get("change_reason") or ""]),
        *_children(p),
        ("deceased", p["deceased"]), ("person_village", village)])
    return _document("person", filled, village, body, [entity], instance_id,
                     f"{p['full_name']} {p['change_date']}")


def migrant(filled, village, p, entity, instance_id):
    """p: direction, mode, id, new_id, full_name, id_number, sex, dob, phone, marital_status,
    sons, daughters, household (or None), place (3-tuple), move_date, expected_until, reason,
    employer, certificate (None or (no, by, until)), contraception."""
    existing = p["mode"] == "existing"
    female = p["sex"] == "female"
    cert = p["certificate"]
    married = p["marital_status"] != "unmarried"
    sons, daughters = (p["sons"], p["daughters"]) if married else (None, None)
    body = [_els([("direction", p["direction"]), ("mode", p["mode"]),
                  ("person", p["id"] if existing else None), ("person_new_id", p["new_id"]),
                  ("person_id", p["id"]), ("full_name", p["full_name"]),
                  ("id_number", p["id_number"]), ("sex", p["sex"]), ("dob", p["dob"]),
                  ("phone", p["phone"]), ("marital_status", p["marital_status"]),
                  ("sons", sons), ("daughters", daughters),
                  ("children_count", (sons or 0) + (daughters or 0)),
                  ("household", p["household"])])]
    body.append("<place>" + _els(zip(("province", "county", "town"), p["place"])) + "</place>")
    body.append(_els([("move_date", p["move_date"]), ("expected_until", p["expected_until"]),
                      ("reason", p["reason"]), ("employer_or_landlord", p["employer"])]))
    body.append("<certificate>" + _els([
        ("has_certificate", "yes" if cert else "no"),
        ("certificate_no", cert and cert[0]), ("certificate_issued_by", cert and cert[1]),
        ("certificate_valid_until", cert and cert[2])]) + "</certificate>")
    body.append(_el("contraception", p["contraception"] if female else None))
    body.append(_els([("residence_status", "moved_in" if p["direction"] == "in" else "moved_out"),
                      ("person_village", village)]))
    return _document("migrant", filled, village, "".join(body), [entity], instance_id,
                     f"{p['full_name']} {p['move_date']}")


def pregnancy_report(filled, village, r, preg_entity, woman_entity, instance_id, born_range):
    first = r["birth_order"] == 1
    body = _els([("report_date", f"{filled:%Y-%m-%d}"), ("born_after", born_range[0]),
                 ("born_before", born_range[1])])
    body += (f"<woman_update>{_el('woman', r['woman'])}<woman_pregnant>yes</woman_pregnant>"
             f"<meta>{woman_entity.xml()}</meta></woman_update>")
    body += _els([
        ("woman_name", r["woman_name"]), ("date_basis", "lmp"), ("lmp_given", r["lmp"]),
        ("lmp", r["lmp"]), ("edd", r["edd"]), ("first_pregnancy", "yes" if first else "no"),
        ("birth_order_given", None if first else r["birth_order"]),
        ("birth_order", r["birth_order"]), ("phone", r["phone"]),
        ("pregnancy_village", village), ("pregnancy_woman", r["woman"]), ("status", "reported"),
        ("reported_by", "group_leader"), ("reported_on", f"{filled:%Y-%m-%d}"),
        ("prepregnancy_check_date", None)])
    return _document("pregnancy_report", filled, village, body, [preg_entity], instance_id,
                     f"{r['woman_name']} {r['lmp']}")


def three_checks(filled, village, c, woman_entity, preg_entity, instance_id, born_range):
    """c: check_date, round, woman, woman_name, woman_age, iud_result, pregnant (bool),
    preg_weeks, findings, referral_to, contraception, known_pregnancy, pregnancy_new_id,
    pregnancy_id, found_lmp, lmp, edd, reported_by, birth_order."""
    pregnant = c["pregnant"]
    findings = c["findings"]
    referral = "yes" if c["referral_to"] else "no"
    checked_on = c["check_date"]
    # the round is the form's calculation from the check date (c["round"] was the old h1/h2)
    round_ = f"{checked_on[:4]}-H{1 if int(checked_on[5:7]) <= 6 else 2}"
    body = [_els([("check_date", checked_on), ("check_round", round_),
                  ("born_after", born_range[0]), ("born_before", born_range[1]),
                  ("woman", c["woman"]), ("woman_name", c["woman_name"]),
                  ("woman_age", c["woman_age"])])]
    body.append(f"<iud>{_el('iud_result', c['iud_result'])}</iud>")
    body.append("<preg>" + _els([
        ("pregnancy_result", "pregnant" if pregnant else "not_pregnant"),
        ("preg_weeks", c["preg_weeks"] if pregnant else None),
        ("ultrasound_done", "no" if pregnant and c["preg_weeks"] > 14 else None),
        ("known_pregnancy", c["known_pregnancy"]), ("pregnancy_new_id", c["pregnancy_new_id"]),
        ("pregnancy_id", c["pregnancy_id"]), ("found_lmp", c["found_lmp"]), ("lmp", c["lmp"]),
        ("edd", c["edd"]), ("pregnancy_woman", c["woman"]),
        ("pregnancy_woman_name", c["woman_name"]), ("pregnancy_village", village),
        ("pregnancy_status", "confirmed"), ("reported_by", c["reported_by"]),
        ("birth_order", c["birth_order"]),
        ("reported_on", checked_on if pregnant and not c["known_pregnancy"] else None),
        ("confirmed_on", checked_on if pregnant else None)])
        + f"<meta>{preg_entity.xml()}</meta></preg>")
    body.append("<gyn>" + _els([("findings", findings), ("referral", referral),
                                ("referral_to", c["referral_to"])]) + "</gyn>")
    body.append(_els([("contraception", c["contraception"]), ("iud_status", c["iud_result"]),
                      ("last_checks_date", c["check_date"]),
                      ("pregnant", "yes" if pregnant else "no")]))
    return _document("three_checks", filled, village, "".join(body), [woman_entity], instance_id,
                     f"{c['woman_name']} {c['check_date']}")


def pregnancy_outcome(filled, village, o, preg_entity, child_entity, instance_id):
    """o: pregnancy, woman, woman_name, lmp, outcome, outcome_date, place, weeks, approval_no,
    loss_reason, child (None or dict sex, weight, name, certificate, household, relation).
    Written as version 2026120301 records a registered pregnancy: an old `late_termination` is
    a `medical_termination`, a free-text reason is `other` with its text, a hospital gets a
    facility and an attendant, and the one newborn is the first of the `newborn` repeat."""
    outcome = {"late_termination": "medical_termination"}.get(o["outcome"], o["outcome"])
    live = outcome == "live_birth"
    delivered = outcome in ("live_birth", "stillbirth")
    at_facility = o["place"] in ("hospital", "clinic")
    termination = outcome in ("induced_abortion", "medical_termination")
    child = o["child"] or {}
    body = [_els([("pregnancy_mode", "registered"), ("pregnancy", o["pregnancy"]),
                  ("pregnancy_woman", o["woman"]), ("woman_name", o["woman_name"]),
                  ("pregnancy_lmp", o["lmp"]), ("pregnancy_id", o["pregnancy"]),
                  ("outcome", outcome), ("outcome_date", o["outcome_date"]),
                  ("gestational_weeks", o["weeks"]),
                  ("approval_no", o["approval_no"] if termination and o["weeks"] >= 15 else None),
                  ("loss_reason", None if delivered else "other"),
                  ("loss_reason_other", None if delivered else o["loss_reason"]),
                  ("place", o["place"]),
                  ("facility", "县人民医院" if at_facility else None),
                  ("attendant", "值班医生" if at_facility else None),
                  ("pregnancy_status", "delivered" if delivered else "lost"),
                  ("pregnancy_outcome", outcome),
                  ("pregnancy_outcome_date", o["outcome_date"]),
                  ("ended_on", o["outcome_date"])])]
    if live:
        body.append(_el("children_born", 1))
        body.append("<child><newborn>" + _els([
            ("child_sex", child["sex"]), ("child_weight", child["weight"]),
            ("child_name", child["name"]), ("birth_certificate_no", child["certificate"]),
            ("newborn_death", "no"),
            ("child_dob", o["outcome_date"]), ("child_village", village),
            ("child_household", child.get("household") or o.get("household")),
            ("child_relation", child.get("relation") or o.get("relation")),
            ("child_marital", "unmarried"), ("child_residence", "resident"),
            ("child_deceased", "no"), ("child_mother", o["woman"]),
            ("child_pregnancy", o["pregnancy"])])
            + f"<meta>{child_entity.xml()}</meta></newborn></child>")
    return _document("pregnancy_outcome", filled, village, "".join(body), [preg_entity],
                     instance_id, f"{o['woman_name']} {o['outcome_date']}")


def contraception_service(filled, village, s, entity, instance_id):
    """s: person, person_name, previous, action, method, procedure, date, facility, provider,
    iud_status."""
    body = _els([
        ("person", s["person"]), ("person_name", s["person_name"]),
        ("previous_method", s["previous"]), ("action", s["action"]), ("method", s["method"]),
        ("procedure", s["procedure"]), ("service_date", s["date"]), ("facility", s["facility"]),
        ("provider", s["provider"]),
        ("contraception", "none" if s["action"] == "stop" else s["method"]),
        ("iud_status", s["iud_status"])])
    return _document("contraception_service", filled, village, body, [entity], instance_id,
                     f"{s['person_name']} {s['date']}")


def prepregnancy_check(filled, village, c, entity, instance_id, born_range):
    risk = c["risks"]
    body = _els([
        ("born_after", born_range[0]), ("born_before", born_range[1]), ("woman", c["woman"]),
        ("woman_name", c["woman_name"]), ("husband", c["husband"]),
        ("husband_name", c["husband_name"]), ("husband_id_number", c["husband_id_number"]),
        ("check_date", c["date"]),
        ("result", "risk" if risk else "normal"), ("risks", risk),
        ("husband_result", "normal"), ("husband_risks", None),
        ("referral", ("yes" if c["referral_to"] else "no") if risk else None),
        ("referral_to", c["referral_to"] if risk else None),
        ("prepregnancy_check_date", c["date"])])
    return _document("prepregnancy_check", filled, village, body, [entity], instance_id,
                     f"{c['woman_name']} {c['date']}")
