"""Resident ID numbers (GB 11643-1999) for fictional people: a six-digit region code, the date
of birth, a three-digit sequence whose last digit is odd for men and even for women, and an
ISO 7064 MOD 11-2 check character. The numbers are well-formed and belong to nobody that the
generator knows of; each is unique within one generated town.
"""
from app.validation.rules import id_number_check_character

# Region codes that look like the town's surroundings: the home county first, then the
# counties brides and migrants come from.
HOME_COUNTY = "610425"            # 陕西省咸阳市礼泉县
NEARBY = ["610424", "610426", "610423", "610429", "610481"]
MIGRANT_ORIGINS = [
    ("511324", "四川省", "南充市仪陇县", "新政镇"),
    ("412727", "河南省", "周口市淮阳区", "城关镇"),
    ("622421", "甘肃省", "定西市通渭县", "平襄镇"),
    ("140121", "山西省", "太原市清徐县", "清源镇"),
    ("520221", "贵州省", "六盘水市水城区", "双水街道"),
]


class IdNumbers:
    """Hands out unique ID numbers for (region, date of birth, sex)."""

    def __init__(self):
        self._next = {}

    def issue(self, rng, region, dob, sex):
        key = (region, dob, sex)
        used = self._next.setdefault(key, set())
        while True:
            seq = rng.randrange(1, 500) * 2 + (1 if sex == "male" else 0)
            if seq < 1000 and seq not in used:
                break
        used.add(seq)
        body = f"{region}{dob.replace('-', '')}{seq:03d}"
        return body + id_number_check_character(body)


def transpose_digits(rng, id_number):
    """The same number with two neighbouring sequence digits swapped (the 15th and 16th
    characters, which keeps the date and the sex digit), or one of them changed when they are
    equal: the slip of a worker copying it by hand. The check character no longer fits."""
    digits = list(id_number)
    if digits[14] != digits[15]:
        digits[14], digits[15] = digits[15], digits[14]
    else:
        digits[14] = str((int(digits[14]) + 1) % 10)
    return "".join(digits)
