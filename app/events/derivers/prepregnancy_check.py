"""Events of the free pre-pregnancy check-up form: one prepregnancy_check per couple, the woman
as its person and the man (when chosen from the register) as the other; versions before
2026120301 did not record his ID number or results, which read as blank."""
from app.events.derive import Event, deriver, uuid_of


@deriver("prepregnancy_check", yields=("prepregnancy_check",))
def prepregnancy_check(a):
    woman = uuid_of(a.get("woman")) or a.entity_id()
    if woman is None:
        return
    yield Event("prepregnancy_check", a.date("check_date"), person=woman,
                other_person=uuid_of(a.get("husband")),
                details={"result": a.get("result"), "risks": a.selected("risks"),
                         "man_name": a.get("husband_name"),
                         "man_id_number": a.get("husband_id_number"),
                         "man_result": a.get("husband_result"),
                         "man_risks": a.selected("husband_risks")})
