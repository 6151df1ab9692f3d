"""What validation reports: an Issue per problem, (path, code, message in zh and en, value),
and the catalogue of codes with their messages in both languages.

A form's own constraint and required messages are used when it has them (in the language
whose name ends in (zh) / (en)); otherwise these defaults, written for a supervisor.
"""
from dataclasses import asdict, dataclass

MESSAGES = {
    # Against the form version
    "type": ("不是有效的{type}值", "Not a valid {type} value"),
    "required": ("此项必填，但没有填写", "Required, but left empty"),
    "not_relevant": ("此题按表单逻辑不适用，却有值", "Has a value although the question did not apply"),
    "choice": ("不是表单提供的选项：{value}", "Not one of the choices offered: {value}"),
    "constraint": ("不符合表单的约束条件：{expression}", "Fails the form's constraint: {expression}"),
    "repeat_count": ("重复组有{actual}条，表单要求{expected}条", "Has {actual} repeats; the form asks for {expected}"),
    "unknown": ("此表单版本中没有这个字段", "Not a field of this form version"),
    "evaluator": ("无法检查：{reason}", "Could not be checked: {reason}"),
    # The town's rules
    "id_number_format": ("身份证号须为18位：17位数字加一位数字或X",
                         "The resident ID number must be 18 characters: 17 digits, then a digit or X"),
    "id_number_checksum": ("身份证号校验位不正确（应为{expected}）",
                           "The ID number's check digit is wrong (it should be {expected})"),
    "id_number_birth_date": ("身份证号中的出生日期无效", "The date of birth inside the ID number is not a valid date"),
    "id_number_dob": ("出生日期{dob}与身份证号中的{embedded}不一致",
                      "The date of birth {dob} does not match {embedded} in the ID number"),
    "id_number_sex": ("性别与身份证号第17位不一致（奇数为男，偶数为女）",
                      "The sex does not match the ID number's 17th digit (odd for male, even for female)"),
    "future_date": ("日期{value}晚于填表当天{today}", "The date {value} is after the day the form was filled ({today})"),
    "age_range": ("年龄{age}岁不在{low}至{high}岁之间", "Age {age} is outside {low} to {high}"),
    "lmp_range": ("末次月经{lmp}不在填表前10个月内", "The last menstrual period {lmp} is not within the 10 months before the form was filled"),
    "gestational_weeks": ("孕周{weeks}与末次月经推算的{expected}周相差过大",
                          "{weeks} gestational weeks is far from the {expected} weeks the last period gives"),
    "approval_missing": ("{weeks}周终止妊娠（{outcome}）没有审批编号：15周及以上须事先审批，已保存，请核实",
                         "A termination ({outcome}) at {weeks} weeks has no approval number: 15 weeks "
                         "or later needs prior approval; kept, please check it"),
}


#: issues that checking the answers does not find, and so keeps when it checks again: the
#: sender's village scope (app.submissions.scope)
KEPT_CODES = ("outside_villages",)


@dataclass(frozen=True)
class Issue:
    path: str
    code: str
    message_zh: str
    message_en: str
    value: str = ""

    def as_dict(self):
        return asdict(self)


def issue(path, code, value="", zh=None, en=None, **params):
    """An Issue with the catalogue's messages (or the given ones) filled with params."""
    default_zh, default_en = MESSAGES[code]
    params = {"value": value, **params}
    return Issue(str(path), code, zh or default_zh.format(**params), en or default_en.format(**params),
                 "" if value is None else str(value))
