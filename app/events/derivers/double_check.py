"""Events of the double check (双查) form: a migrant woman's IUD and pregnancy checks, the
results received for a woman who left or sent home for a woman who moved in (double_check),
and the IUD result as an IUD check (iud_check) of the check date's half-year round."""
from app.events.derive import Event, deriver, uuid_of
from app.events.derivers._common import half_year_round, iso


@deriver("double_check", yields=("double_check", "iud_check"))
def double_check(a):
    woman = uuid_of(a.get("woman")) or a.entity_id()
    direction = a.get("direction")
    if woman is None or direction not in ("left", "arrived"):
        return
    checked_on = a.date("check_date")
    iud = a.get("iud_result")
    yield Event("double_check", checked_on, person=woman,
                details={"direction": direction, "place": a.get("check_place"),
                         "received": a.get("received") if direction == "left" else "",
                         "sent_on": iso(a.date("sent_on")), "iud_result": iud,
                         "pregnancy_result": a.get("pregnancy_result")})
    if iud:
        yield Event("iud_check", checked_on, person=woman,
                    details={"round": half_year_round(checked_on), "result": iud})
