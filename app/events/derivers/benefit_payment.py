"""Events of the rewards-and-benefits form (奖励优惠兑现): each payment to a household or a
person is a reward_paid event on the day it was paid."""
import math

from app.events.derive import Event, deriver, uuid_of

#: an amount (yuan) at or above this is a typo, not a payment (a township pays thousands)
MAX_YUAN = 1e9


@deriver("benefit_payment", yields=("reward_paid",))
def benefit_payment(a):
    payee = a.get("payee")
    household = uuid_of(a.get("household")) if payee == "household" else None
    person = uuid_of(a.get("person")) if payee == "person" else None
    if not a.get("benefit") or (household or person) is None:
        return
    amount = a.decimal("amount")
    # 'nan' and 'inf' are not JSON, and a payment of 1e307 yuan overflows every sum: only a
    # plausible amount (finite, 0 <= amount < MAX_YUAN) is kept, any other is None.
    amount = amount if amount is not None and math.isfinite(amount) \
        and 0 <= amount < MAX_YUAN else None
    details = {"benefit": a.get("benefit"), "amount": amount,
               "period": a.get("period"), "paid_by": a.get("paid_by")}
    if a.get("benefit") == "other":
        details["benefit_other"] = a.get("benefit_other")
    yield Event("reward_paid", a.date("paid_on"), person=person, household=household,
                details=details)
