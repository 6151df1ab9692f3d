"""Report periods: the calendar month (the atom), the calendar year to date, the statistical
year (1 October to 30 September) to date, the same months of last year and the rolling 12
months. Months are written 'YYYY-MM'; BEFORE is the bucket of what has no known date."""
import calendar
import datetime as dt
import re

#: the month key of a stock change with no known date (counted before every month)
BEFORE = "0000-00"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Month:
    """One calendar month. Month.parse('2025-03'); str(m) == '2025-03'."""
    __slots__ = ("year", "month")

    def __init__(self, year, month):
        self.year, self.month = year, month

    @classmethod
    def parse(cls, text):
        """A Month from 'YYYY-MM', or ValueError."""
        found = _MONTH.match(text or "")
        if not found or int(found[1]) < 1900:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day):
        return cls(day.year, day.month)

    def __str__(self):
        return f"{self.year:04d}-{self.month:02d}"

    __repr__ = __str__

    def __eq__(self, other):
        return isinstance(other, Month) and (self.year, self.month) == (other.year, other.month)

    def __lt__(self, other):
        return (self.year, self.month) < (other.year, other.month)

    def __le__(self, other):
        return (self.year, self.month) <= (other.year, other.month)

    def __hash__(self):
        return hash((self.year, self.month))

    @property
    def first(self):
        return dt.date(self.year, self.month, 1)

    @property
    def last(self):
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self):
        return self.last.day

    def plus(self, n):
        index = self.year * 12 + self.month - 1 + n
        return Month(index // 12, index % 12 + 1)

    def back_to(self, first):
        """The months from `first` to this one, both included (empty when first is later)."""
        out, m = [], first
        while m <= self:
            out.append(m)
            m = m.plus(1)
        return out

    def year_to_date(self):
        """January to this month."""
        return self.back_to(Month(self.year, 1))

    def statistical_year_to_date(self):
        """1 October (of this year if this month is October or later, else of last year) to
        this month."""
        start = Month(self.year if self.month >= 10 else self.year - 1, 10)
        return self.back_to(start)

    def same_months_last_year(self):
        """The calendar year to date of last year."""
        return [Month(m.year - 1, m.month) for m in self.year_to_date()]

    def rolling_12(self):
        """This month and the 11 before it."""
        return self.back_to(self.plus(-11))


def month_key(day):
    """'YYYY-MM' of a date, BEFORE for None."""
    return f"{day.year:04d}-{day.month:02d}" if day is not None else BEFORE
