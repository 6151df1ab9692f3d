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
VERSIONS = {"benefit_payment": "2026120301", "contraception_service": "2026112901",
            "double_check": "2026120301", "home_visit": "2026120401", "migrant": "2026120301",
            "person": "2026120401", "pregnancy_outcome": "2026120301",
            "pregnancy_report": "2026120301", "prepregnancy_check": "2026120301",
            "three_checks": "2026120401"}


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


def _method_els(m):
    """The method questions of the home visit's member and the person form (2026120401): the
    method asked of married women 15–49, what the register held, what it will hold, and the
    register's village and residence status of the person."""
    return ([("method_asked", m["method_asked"])]
            + ([("contraception", m["contraception"])] if m["method_asked"] == "yes" else [])
            + [("contraception_before", m["contraception_before"]),
               ("method_now", m["method_now"]), ("previous_village", m["previous_village"]),
               ("residence_before", m["residence_before"])])


def home_visit(filled, village, visit_date, household, hh_entity, members, instance_id):
    """household: dict(mode, id, head_name, address, phone, family_card_no, registration_type,
    family_status); members: list of (person dict, Entity), the person dict holding the
    member's answers and what the phone's lists show about her (see Town._home_visit)."""
    existing = household["mode"] == "existing"
    body = [_els([("visit_date", visit_date), ("hh_mode", household["mode"])]
                 + ([("household", household["id"])] if existing else []))]
    body.append(_els([("hh_new_id", household["new_id"]), ("hh_id", household["id"])]))
    body.append("<hh>" + _els([("head_name", household["head_name"]),
                               ("address", household["address"]),
                               ("hh_phone", household["phone"]),
                               ("family_card_no", household["family_card_no"]),
                               ("registration_type", household["registration_type"]),
                               ("family_status", household["family_status"])]) + "</hh>")
    counted = 0
    for m, entity in members:
        is_existing = m["mode"] != "new"          # existing, or moved_here from another household
        changes = m["changes"]
        selected = changes.split()
        if "death" not in selected and m["residence_status"] != "moved_out":
            counted += 1
        married = m["marital_status"] not in ("", "unmarried")
        body.append("<member>" + _els(
            [("member_mode", m["mode"])]
            + ([("person", m["id"])] if is_existing else [])
            + [("person_new_id", m["new_id"]), ("person_id", m["id"]),
               ("previous_household", m["previous_household"]),
               ("full_name", m["full_name"]), ("id_number", m["id_number"]), ("sex", m["sex"]),
               ("dob", m["dob"]), ("relation", m["relation"]), ("changes", changes)]
            + ([("change_date", m["change_date"])] if changes != "none" else [])
            + ([("death_cause", m["death_cause"]), ("death_place", m["death_place"])]
               if "death" in selected else [])
            + ([("spouse", m["spouse"]), ("spouse_name", m["spouse_name"])]
               if "marriage" in selected or "divorce" in selected else [])
            + ([("marriage_registered_at", m["marriage_registered_at"])]
               if "marriage" in selected else [])
            + ([("moved_from", m["moved_from"])] if "moved_in" in selected else [])
            + ([("moved_to", m["moved_to"])] if "moved_out" in selected else [])
            + ([("within_town", m["within_town"])] if m["mode"] != "moved_here"
               and ("moved_in" in selected or "moved_out" in selected) else [])
            + [("marital_status", m["marital_status"]),
               ("residence_status", m["residence_status"]), ("member_phone", m["phone"])]
            + ([("sons", m["sons"]), ("daughters", m["daughters"])] if married else [])
            + [("children_count", m["children_count"]), ("age", m["age"]),
               ("planning_asked", m["planning_asked"])]
            + ([("planning_pregnancy", m["planning_pregnancy"])]
               if m["planning_asked"] == "yes" else [])
            + ([("planning_from", m["planning_from"])]
               if m["planning_pregnancy"] == "yes" else [])
            + [("planning_before", m["planning_before"]),
               ("planning_from_before", m["planning_from_before"])]
            + _method_els(m)
            + [("spouse_before", m["spouse_before"]), ("spouse_in_visit", m["spouse_in_visit"]),
               ("spouse_id", m["spouse_id"]), ("spouse_now", m["spouse_now"]),
               ("deceased", m["deceased"]), ("death_date", m["death_date"]),
               ("member_household", household["id"]), ("member_village", village)])
            + f"<meta>{entity.xml()}</meta></member>")
    body.append(_els([("member_count", counted), ("hh_village", village),
                      ("last_visit_date", visit_date)]))
    return _document("home_visit", filled, village, "".join(body), [hh_entity], instance_id,
                     f"{visit_date} {household['head_name']}")


def person(filled, village, p, entity, instance_id):
    """A registration (mode new) or change (existing) of one person; p holds the answers
    and what the phone's lists show (see Town.duplicate)."""
    existing = p["mode"] == "existing"
    married = p["marital_status"] not in ("", "unmarried")
    body = _els(
        [("mode", p["mode"])] + ([("person", p["id"])] if existing else [])
        + [("change_reason", p["change_reason"]), ("change_date", p["change_date"]),
           ("person_new_id", p["new_id"]), ("person_id", p["id"]),
           ("previous_household", p["previous_household"]), ("full_name", p["full_name"]),
           ("id_number", p["id_number"]), ("sex", p["sex"]), ("dob", p["dob"]),
           ("household", p["household"]), ("relation", p["relation"]),
           ("marital_status", p["marital_status"]), ("residence_status", p["residence_status"]),
           ("phone", p["phone"])]
        + ([("sons", p["sons"]), ("daughters", p["daughters"])] if married else [])
        + [("children_count", p["children_count"]), ("deceased", p["deceased"]),
           ("death_date", None), ("age", p["age"]), ("planning_asked", p["planning_asked"])]
        + ([("planning_pregnancy", p["planning_pregnancy"])]
           if p["planning_asked"] == "yes" else [])
        + ([("planning_from", p["planning_from"])] if p["planning_pregnancy"] == "yes" else [])
        + [("planning_before", None), ("planning_from_before", None)]
        + _method_els({"previous_village": "", "residence_before": "", **p})
        + [("spouse_before", None),
           ("spouse_id", None), ("spouse_now", None), ("person_village", village)])
    return _document("person", filled, village, body, [entity], instance_id,
                     f"{p['full_name']} {p['change_date']}")


def migrant(filled, village, p, entity, instance_id):
    """p: direction, mode, id, new_id, full_name, id_number, sex, dob, phone, marital_status,
    sons, daughters, household, place (3-tuple), move_date, expected_until, reason, employer,
    certificate (None or (no, by, until)), contraception."""
    existing = p["mode"] == "existing"
    female = p["sex"] == "female"
    married = p["marital_status"] != "unmarried"
    cert = p["certificate"]
    body = [_els([("direction", p["direction"]), ("mode", p["mode"])]
                 + ([("person", p["id"])] if existing else [])
                 + [("person_new_id", p["new_id"]), ("person_id", p["id"]),
                    ("full_name", p["full_name"]), ("id_number", p["id_number"]),
                    ("sex", p["sex"]), ("dob", p["dob"]), ("phone", p["phone"]),
                    ("marital_status", p["marital_status"])]
                 + ([("sons", p["sons"]), ("daughters", p["daughters"])] if married else [])
                 + [("children_count", (p["sons"] or 0) + (p["daughters"] or 0)),
                    ("household", p["household"])])]
    body.append("<place>" + _els(zip(("province", "county", "town"), p["place"])) + "</place>")
    body.append(_els([("move_date", p["move_date"]), ("expected_until", p["expected_until"]),
                      ("reason", p["reason"]), ("employer_or_landlord", p["employer"])]))
    body.append("<certificate>" + _els(
        [("has_certificate", "yes" if cert else "no")]
        + ([("certificate_no", cert[0]), ("certificate_issued_by", cert[1]),
            ("certificate_valid_until", cert[2])] if cert else [])) + "</certificate>")
    if female:
        body.append(_el("contraception", p["contraception"]))
    body.append(_els([("residence_status", "moved_in" if p["direction"] == "in" else "moved_out"),
                      ("person_village", village)]))
    return _document("migrant", filled, village, "".join(body), [entity], instance_id,
                     f"{p['full_name']} {p['move_date']}")


def pregnancy_report(filled, village, r, preg_entity, woman_entity, instance_id, born_range):
    first = r["birth_order"] == 1
    body = _els([("report_date", r["report_date"]), ("born_after", born_range[0]),
                 ("born_before", born_range[1])])
    body += (f"<woman_update>{_el('woman', r['woman'])}<woman_pregnant>yes</woman_pregnant>"
             f"<meta>{woman_entity.xml()}</meta></woman_update>")
    body += _els([
        ("woman_name", r["woman_name"]), ("date_basis", "lmp"), ("lmp_given", r["lmp"]),
        ("lmp", r["lmp"]), ("edd", r["edd"]), ("first_pregnancy", "yes" if first else "no"),
        ("birth_order_given", None if first else r["birth_order"]),
        ("birth_order", r["birth_order"]), ("phone", r["phone"]),
        ("pregnancy_village", village), ("pregnancy_woman", r["woman"]), ("status", "reported"),
        ("reported_by", "group_leader"), ("reported_on", r["report_date"]),
        ("prepregnancy_check_date", r["prepregnancy_check_date"])])
    return _document("pregnancy_report", filled, village, body, [preg_entity], instance_id,
                     f"{r['woman_name']} {r['lmp']}")


def three_checks(filled, village, c, woman_entity, preg_entity, instance_id, born_range):
    """c: check_date, round, woman, woman_name, woman_age, iud_result, pregnant (bool),
    preg_weeks, ultrasound (None or (date, facility, operator)), findings, referral_to,
    contraception, known_pregnancy, pregnancy_new_id, pregnancy_id, found_lmp, lmp, edd,
    reported_by, birth_order, and what the pregnancies list shows: reported_on,
    confirmed_on, ultrasound_before, prepregnancy_check_date."""
    pregnant = c["pregnant"]
    us = c["ultrasound"]
    findings = c["findings"]
    body = [_els([("check_date", c["check_date"]), ("check_round", c["round"]),
                  ("born_after", born_range[0]), ("born_before", born_range[1]),
                  ("woman", c["woman"]), ("woman_name", c["woman_name"]),
                  ("woman_age", c["woman_age"])])]
    body.append(f"<iud>{_el('iud_result', c['iud_result'])}</iud>")
    asked = pregnant and c["preg_weeks"] > 14
    body.append("<preg>" + _els(
        [("pregnancy_result", "pregnant" if pregnant else "not_pregnant")]
        + ([("preg_weeks", c["preg_weeks"])] if pregnant else [])
        + ([("ultrasound_done", "yes" if us else "no")] if asked else [])
        + ([("ultrasound_date", us[0]), ("ultrasound_facility", us[1]),
            ("ultrasound_operator", us[2])] if us else [])
        + [("known_pregnancy", c["known_pregnancy"]), ("pregnancy_new_id", c["pregnancy_new_id"]),
           ("pregnancy_id", c["pregnancy_id"]), ("found_lmp", c["found_lmp"]), ("lmp", c["lmp"]),
           ("edd", c["edd"]), ("pregnancy_woman", c["woman"]),
           ("pregnancy_woman_name", c["woman_name"]), ("pregnancy_village", village),
           ("pregnancy_status", "confirmed"), ("reported_by", c["reported_by"]),
           ("birth_order", c["birth_order"]), ("reported_on", c["reported_on"]),
           ("confirmed_on", c["confirmed_on"]),
           ("pregnancy_ultrasound_date", (us and us[0]) or c["ultrasound_before"]),
           ("prepregnancy_check_date", c["prepregnancy_check_date"])])
        + f"<meta>{preg_entity.xml()}</meta></preg>")
    body.append("<gyn>" + _els([("findings", findings),
                                ("referral", "yes" if c["referral_to"] else "no")]
                               + ([("referral_to", c["referral_to"])] if c["referral_to"]
                                  else [])) + "</gyn>")
    body.append(_els([("contraception_before", c["contraception_before"]),
                      ("contraception", c["contraception"]), ("iud_status", c["iud_result"]),
                      ("last_checks_date", c["check_date"]),
                      ("pregnant", "yes" if pregnant else "no")]))
    return _document("three_checks", filled, village, "".join(body), [woman_entity], instance_id,
                     f"{c['woman_name']} {c['check_date']}")


def pregnancy_outcome(filled, village, o, preg_entity, child_entities, instance_id,
                      born_range):
    """o: mode (registered/unregistered), pregnancy, woman, woman_name, lmp (the list's, for
    a registered one), outcome, outcome_date, place, facility, attendant, weeks, approval_no,
    loss_reason, loss_reason_other, household, spouse, birth_order, prepregnancy_check_date,
    children (list of dict sex, weight, name, certificate, relation, death: None or (place,
    date, cause, checked))."""
    import datetime as dt
    registered = o["mode"] == "registered"
    live = o["outcome"] == "live_birth"
    delivered = o["outcome"] in ("live_birth", "stillbirth")
    late = o["outcome"] in ("induced_abortion", "medical_termination") and o["weeks"] >= 15
    on = dt.date.fromisoformat(o["outcome_date"])
    lmp = o["lmp"] if registered else (on - dt.timedelta(days=7 * o["weeks"])).isoformat()
    edd = (dt.date.fromisoformat(lmp) + dt.timedelta(days=280)).isoformat()
    body = [_els(
        [("born_after", born_range[0]), ("born_before", born_range[1]),
         ("pregnancy_mode", o["mode"])]
        + ([("pregnancy", o["pregnancy"])] if registered else [("woman", o["woman"])])
        + [("pregnancy_woman", o["woman"]), ("woman_name", o["woman_name"]),
           ("pregnancy_lmp", o["lmp"] if registered else None),
           ("pregnancy_new_id", o["pregnancy"] if not registered else o["new_id"]),
           ("pregnancy_id", o["pregnancy"]), ("outcome", o["outcome"]),
           ("outcome_date", o["outcome_date"]), ("gestational_weeks", o["weeks"])]
        + ([("approval_no", o["approval_no"])] if late else [])
        + ([("loss_reason", o["loss_reason"])] if not delivered else [])
        + ([("loss_reason_other", o["loss_reason_other"])]
           if o["loss_reason"] == "other" else [])
        + [("place", o["place"])]
        + ([("facility", o["facility"]), ("attendant", o["attendant"])]
           if o["place"] in ("hospital", "clinic") else [])
        + [("lmp", lmp), ("edd", edd), ("pregnancy_village", village),
           ("prepregnancy_check_date", o["prepregnancy_check_date"]),
           ("birth_order", o["birth_order"]),
           ("pregnancy_status", "delivered" if delivered else "lost"),
           ("pregnancy_outcome", o["outcome"]), ("pregnancy_outcome_date", o["outcome_date"]),
           ("ended_on", o["outcome_date"])]
        + ([("children_born", len(o["children"]))] if live else []))]
    if live:
        body.append("<child>")
        for position, (child, entity) in enumerate(zip(o["children"], child_entities)):
            death = child["death"]
            body.append("<newborn>" + _els(
                [("child_sex", child["sex"]), ("child_weight", child["weight"]),
                 ("child_name", child["name"]), ("birth_certificate_no", child["certificate"]),
                 ("newborn_death", death[0] if death else "no")]
                + ([("newborn_death_date", death[1].isoformat()),
                    ("newborn_death_cause", death[2])] if death else [])
                + ([("newborn_death_checked", death[3])]
                   if death and death[0] == "outside_hospital" else [])
                + [("child_dob", o["outcome_date"]), ("child_village", village),
                   ("child_household", o["household"]), ("child_relation", child["relation"]),
                   ("child_marital", "unmarried"), ("child_residence", "resident"),
                   ("child_deceased", "yes" if death else "no"), ("child_mother", o["woman"]),
                   ("child_father", o["spouse"]), ("child_pregnancy", o["pregnancy"]),
                   ("child_death_date", death[1].isoformat() if death else None),
                   ("child_birth_order", o["birth_order"] + position)])
                + f"<meta>{entity.xml()}</meta></newborn>")
        body.append("</child>")
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
    """c: woman, woman_name, husband (uuid or None), husband_name, husband_id_number, date,
    risks (None or a code), husband_risks (None or a code), referral_to (None or text)."""
    risk, his = c["risks"], c["husband_risks"]
    body = _els(
        [("born_after", born_range[0]), ("born_before", born_range[1]), ("woman", c["woman"]),
         ("woman_name", c["woman_name"]), ("husband", c["husband"]),
         ("husband_name", c["husband_name"]), ("husband_id_number", c["husband_id_number"]),
         ("check_date", c["date"]), ("result", "risk" if risk else "normal")]
        + ([("risks", risk)] if risk else [])
        + [("husband_result", "risk" if his else "normal")]
        + ([("husband_risks", his)] if his else [])
        + ([("referral", "yes" if c["referral_to"] else "no")] if risk or his else [])
        + ([("referral_to", c["referral_to"])] if c["referral_to"] else [])
        + [("prepregnancy_check_date", c["date"])])
    return _document("prepregnancy_check", filled, village, body, [entity], instance_id,
                     f"{c['woman_name']} {c['date']}")


def double_check(filled, village, d, entity, instance_id):
    """d: woman, woman_name, direction (left/arrived), check_date, check_place, iud_result,
    pregnancy_result, received (when left), sent_on (when arrived), last_double_check_date."""
    left = d["direction"] == "left"
    results = not left or d["received"] == "yes"
    body = _els(
        [("woman", d["woman"]), ("woman_name", d["woman_name"]), ("direction", d["direction"]),
         ("check_date", d["check_date"]), ("check_place", d["check_place"])]
        + ([("received", d["received"])] if left else [])
        + ([("iud_result", d["iud_result"]), ("pregnancy_result", d["pregnancy_result"])]
           if results else [])
        + ([("sent_on", d["sent_on"])] if not left else [])
        + [("last_double_check_date", d["last_double_check_date"])])
    return _document("double_check", filled, village, body, [entity], instance_id,
                     f"{d['woman_name']} {d['check_date']}")


def benefit_payment(filled, village, b, instance_id):
    """b: payee (household/person), household, person, payee_name, benefit, amount, period,
    paid_on, paid_by."""
    by_person = b["payee"] == "person"
    body = _els(
        [("payee", b["payee"])]
        + ([("person", b["person"])] if by_person else [("household", b["household"])])
        + [("payee_name", b["payee_name"]), ("benefit", b["benefit"]),
           ("amount", f"{b['amount']:.2f}"), ("period", b["period"]), ("paid_on", b["paid_on"]),
           ("paid_by", b["paid_by"])])
    return _document("benefit_payment", filled, village, body, [], instance_id,
                     f"{b['payee_name']} {b['paid_on']}")
