"""Events of the contraception service form: each service is a real-name contraception
procedure (contraception_procedure) on its service date, supplies given included, with the
method the woman used before as the form read it from the register (`previous_method`)."""
from app.events.derive import Event, deriver, uuid_of


@deriver("contraception_service", yields=("contraception_procedure",))
def contraception_service(a):
    person = uuid_of(a.get("person")) or a.entity_id()
    if person is None:
        return
    yield Event("contraception_procedure", a.date("service_date"), person=person,
                details={"action": a.get("action"), "method": a.get("method"),
                         "procedure": a.get("procedure"), "facility": a.get("facility"),
                         "provider": a.get("provider"),
                         "previous_method": a.get("previous_method")})
