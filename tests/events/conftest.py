"""Life-event tests: a test-only form (tests/factories.make_xlsform) and a test-only deriver
registered for it while a test runs, so these tests prove the recording, not any town form's
deriver (those are tested with their forms)."""
import pytest

from app.events import derive
from app.events.derive import Event
from tests.factories import make_xlsform

FORM_ID = "event_probe"


def probe_xlsform(version="1"):
    """A small bilingual form: the village, a date, weeks (under 45) and a person's uuid."""
    def row(type_, name, zh, en, **more):
        return {"type": type_, "name": name, "label::Chinese (zh)": zh,
                "label::English (en)": en, **more}
    return make_xlsform([
        row("text", "village", "村", "Village"),
        row("date", "event_date", "日期", "Date"),
        row("integer", "weeks", "孕周", "Weeks", constraint=". < 45",
            **{"constraint_message::Chinese (zh)": "孕周应小于45",
               "constraint_message::English (en)": "Weeks must be under 45"}),
        row("text", "person", "人员", "Person"),
        row("text", "moved_to", "迁往村", "Moved to village"),
    ], settings={"form_id": FORM_ID, "version": version,
                 "default_language": "Chinese (zh)"})


def probe_deriver(a):
    """A birth of `person` on `event_date` in the submission's village and, when `moved_to`
    names a village, the person's move out recorded in that village."""
    if a.get("person") == "boom":
        raise RuntimeError("a deriver met something it did not expect")
    yield Event("birth", a.date("event_date"), person=a.get("person") or None,
                details={"weeks": a.int("weeks"), "version": a.version})
    if a.get("moved_to"):
        yield Event("moved_out", a.date("event_date"), person=a.get("person") or None,
                    village=a.get("moved_to"), details={"to": a.get("moved_to")})


@pytest.fixture
def probe_form(publish):
    """The probe form published, with its deriver registered until the test ends."""
    published = publish(probe_xlsform(), filename=f"{FORM_ID}.xlsx")
    derive.deriver(FORM_ID, yields=("birth", "moved_out"))(probe_deriver)
    yield published
    derive.DERIVERS.pop(FORM_ID, None)
    derive.YIELDS.pop(FORM_ID, None)
