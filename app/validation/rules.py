"""The town's rules: checks beyond what a form can say, registered per form (by xmlFormId).

Each rule is a plain function rule(fields) -> iterable of Issue, where `fields` gives the
submitted values (see Fields) and `today`, the day the form was filled. Rules only read; they
never raise for bad input (a value they cannot read is left to the form's own checks).

    RULES["three_checks"] == [resident_id_numbers, past_dates, reproductive_age, ...]

To add a rule: write the function here and list it under the forms it applies to.
"""
import datetime as dt
import math

from app.validation.issues import issue

# GB 11643-1999: weights of the first 17 digits; the check character for each sum mod 11.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
TEN_MONTHS_DAYS = 304
WEEKS_TOLERANCE = 3


def id_number_check_character(first17):
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def id_number_problem(value, today):
    """(code, params) for what is wrong with a resident ID number, or None if it is valid."""
    value = value.strip()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "id_number_format", {}
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "id_number_birth_date", {}
    if born > today or born.year < 1880:
        return "id_number_birth_date", {}
    expected = id_number_check_character(value[:17])
    if value[17] != expected:
        return "id_number_checksum", {"expected": expected}
    return None


class Fields:
    """Read access to one submission for the rules: values by field name, with their paths."""

    def __init__(self, check):
        self._check = check
        self.today = check.env.today

    def named(self, name):
        """[(path, value, element)] of every non-empty field called `name`, in order."""
        out = []
        for elem in self._check.model.iter(name):
            value = (elem.text or "").strip() if len(elem) == 0 else ""
            if value:
                out.append((self._check.concrete(elem), value, elem))
        return out

    def value(self, name):
        found = self.named(name)
        return found[0][1] if found else ""

    @staticmethod
    def sibling(elem, name):
        parent = elem.getparent()
        found = parent.find(name) if parent is not None else None
        return (found.text or "").strip() if found is not None else ""


def _date(text):
    try:
        return dt.date.fromisoformat(text[:10])
    except (TypeError, ValueError):
        return None


def _number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def resident_id_numbers(fields):
    """GB 11643: 18 characters, a valid date of birth, the MOD 11-2 check character; and the
    date of birth and sex answered beside it agree with it."""
    for path, value, elem in fields.named("id_number"):
        problem = id_number_problem(value, fields.today)
        if problem:
            yield issue(path, problem[0], value, **problem[1])
            continue
        embedded = f"{value[6:10]}-{value[10:12]}-{value[12:14]}"
        dob = fields.sibling(elem, "dob")
        if dob and dob != embedded:
            yield issue(path, "id_number_dob", value, dob=dob, embedded=embedded)
        sex = fields.sibling(elem, "sex")
        if sex in ("male", "female") and (int(value[16]) % 2 == 1) != (sex == "male"):
            yield issue(path, "id_number_sex", value)


def husbands_id_numbers(fields):
    """GB 11643 for the man's ID number on the pre-pregnancy check-up, and a man's sex digit
    (his sex and date of birth are not asked beside it)."""
    for path, value, _elem in fields.named("husband_id_number"):
        problem = id_number_problem(value, fields.today)
        if problem is not None:
            code, params = problem
            yield issue(path, code, value, **params)
        elif int(value[16]) % 2 == 0:
            yield issue(path, "id_number_sex", value)


#: per form, the date fields that record something that has already happened
PAST_DATES = {
    "home_visit": ("visit_date", "dob", "change_date"),
    "person": ("change_date", "dob"),
    "three_checks": ("check_date", "ultrasound_date"),
    "pregnancy_report": ("report_date", "lmp_given", "lmp"),
    "pregnancy_outcome": ("outcome_date", "newborn_death_date"),
    "migrant": ("dob", "move_date", "double_check_date"),
    "contraception_service": ("service_date",),
    "prepregnancy_check": ("check_date",),
    "double_check": ("check_date", "sent_on"),
    "benefit_payment": ("paid_on",),
}


def past_dates(form_id):
    names = PAST_DATES.get(form_id, ())

    def dates_not_in_the_future(fields):
        for name in names:
            for path, value, _elem in fields.named(name):
                day = _date(value)
                if day is not None and day > fields.today:
                    yield issue(path, "future_date", value, today=fields.today.isoformat())
    return dates_not_in_the_future


def reproductive_age(fields):
    """The three checks are for women aged 15 to 49 (the age the phone computed)."""
    for path, value, _elem in fields.named("woman_age"):
        age = _number(value)
        if age is not None and not 15 <= age <= 49:
            yield issue(path, "age_range", value, age=int(age), low=15, high=49)


def lmp_within_ten_months(fields):
    """A last menstrual period is in the 10 months before the form was filled."""
    for path, value, _elem in fields.named("lmp"):
        lmp = _date(value)
        if lmp is not None and not 0 <= (fields.today - lmp).days <= TEN_MONTHS_DAYS:
            yield issue(path, "lmp_range", value, lmp=value)


def gestational_weeks_match(fields):
    """Gestational weeks agree (within 3) with the weeks from the last period to the event."""
    pairs = (("gestational_weeks", "pregnancy_lmp", "outcome_date"),
             ("preg_weeks", "lmp", "check_date"))
    for weeks_name, lmp_name, event_name in pairs:
        lmp, event = _date(fields.value(lmp_name)), _date(fields.value(event_name))
        for path, value, _elem in fields.named(weeks_name):
            weeks = _number(value)
            if weeks is None or lmp is None or event is None:
                continue
            expected = (event - lmp).days / 7
            if abs(weeks - expected) > WEEKS_TOLERANCE:
                yield issue(path, "gestational_weeks", value, weeks=int(weeks),
                            expected=int(round(expected)))


#: outcomes that end a pregnancy on purpose; `late_termination` is versions before 2026120301
TERMINATIONS = ("induced_abortion", "medical_termination", "late_termination")
APPROVAL_WEEKS = 15


def termination_approval(fields):
    """A termination at 15 weeks or later has its approval number. The form asks for it
    without requiring it, so a missing one reaches a supervisor instead of blocking the
    record on the phone."""
    outcomes = fields.named("outcome")
    if not outcomes or outcomes[0][1] not in TERMINATIONS or fields.value("approval_no"):
        return
    weeks = _number(fields.value("gestational_weeks"))
    if weeks is None or weeks < APPROVAL_WEEKS:
        return
    path = outcomes[0][0].rpartition("/")[0] + "/approval_no"
    yield issue(path, "approval_missing", "", weeks=int(weeks), outcome=outcomes[0][1])


RULES = {
    "home_visit": [resident_id_numbers, past_dates("home_visit")],
    "person": [resident_id_numbers, past_dates("person")],
    "three_checks": [past_dates("three_checks"), reproductive_age, lmp_within_ten_months,
                     gestational_weeks_match],
    "pregnancy_report": [past_dates("pregnancy_report"), lmp_within_ten_months],
    "pregnancy_outcome": [past_dates("pregnancy_outcome"), gestational_weeks_match,
                          termination_approval],
    "migrant": [resident_id_numbers, past_dates("migrant")],
    "contraception_service": [past_dates("contraception_service")],
    "prepregnancy_check": [past_dates("prepregnancy_check"), husbands_id_numbers],
    "double_check": [past_dates("double_check")],
    "benefit_payment": [past_dates("benefit_payment")],
}


def run(form_id, fields):
    out = []
    for rule in RULES.get(form_id, ()):
        out.extend(rule(fields))
    return out
