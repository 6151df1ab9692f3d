"""Events of the migrant form: a person moving into or out of the town (moved_in / moved_out,
migrant=yes), the marriage-and-childbearing certificate she carries (certificate_issued), and,
for versions before 2026120301 that asked it when a woman left, her double check. A person the
form puts on the register without moving in (mode 'new' and leaving, or no direction) is
`registered` on the move date, so her leaving has an arrival to undo."""
from app.events.derive import Event, deriver, uuid_of
from app.events.derivers._common import created, half_year_round, iso

MARRIAGE_CHILDBEARING = "marriage_childbearing"


def _place(a):
    return " ".join(p for p in (a.get("place/province"), a.get("place/county"),
                                a.get("place/town")) if p)


@deriver("migrant", yields=("moved_in", "moved_out", "registered", "certificate_issued",
                            "double_check", "iud_check"))
def migrant(a):
    person = uuid_of(a.get("person_id")) or a.entity_id()
    if person is None:
        return
    household = uuid_of(a.get("household"))
    moved_on = a.date("move_date")
    direction = a.get("direction")
    who = {"sex": a.get("sex"), "dob": iso(a.date("dob")),
           "marital_status": a.get("marital_status"), "contraception": a.get("contraception")}
    if direction != "in" and created(a):
        yield Event("registered", moved_on, person=person, household=household,
                    details={**who, "residence_status": a.get("residence_status")})
    if direction in ("in", "out"):
        kind, where = ("moved_in", "from") if direction == "in" else ("moved_out", "to")
        yield Event(kind, moved_on, person=person, household=household,
                    details={where: _place(a), "migrant": "yes", "reason": a.get("reason"),
                             "within_town": "no", **who})
    if a.get("certificate/has_certificate") == "yes":
        # The form has no issue date: the certificate is recorded when the move is.
        yield Event("certificate_issued", moved_on, person=person, household=household,
                    details={"certificate": MARRIAGE_CHILDBEARING,
                             "number": a.get("certificate/certificate_no"),
                             "issued_by": a.get("certificate/certificate_issued_by"),
                             "valid_until": iso(a.date("certificate/certificate_valid_until"))})
    # Versions before 2026120301: results received for a woman leaving (the double_check form
    # records it since); a 'no' was no check, so no event.
    if a.get("double_check/double_check_received") == "yes":
        checked_on = a.date("double_check/double_check_date")
        iud = a.get("double_check/double_check_iud")
        yield Event("double_check", checked_on, person=person,
                    details={"direction": "left", "place": "", "received": "yes", "sent_on": "",
                             "iud_result": iud,
                             "pregnancy_result": a.get("double_check/double_check_pregnancy")})
        if iud:
            yield Event("iud_check", checked_on, person=person,
                        details={"round": half_year_round(checked_on), "result": iud})
