"""The catalogue of life events: every kind the town counts, with its labels in both
languages (Chinese first). Reports and pages name events only through this table."""

#: kind -> (zh, en)
KINDS = {
    "birth": ("出生", "Birth"),
    "newborn_death": ("新生儿死亡", "Newborn death"),
    "death": ("死亡", "Death"),
    "marriage": ("结婚", "Marriage"),
    "divorce": ("离婚", "Divorce"),
    "moved_in": ("迁入", "Moved in"),
    "moved_out": ("迁出", "Moved out"),
    "registered": ("登记在册", "Registered"),
    "pregnancy_reported": ("孕情报告", "Pregnancy reported"),
    "pregnancy_confirmed": ("孕情确认", "Pregnancy confirmed"),
    "pregnancy_ended": ("孕情结束", "Pregnancy ended"),
    "ultrasound": ("B超登记", "Ultrasound"),
    "contraception_procedure": ("避孕节育手术", "Contraception procedure"),
    "method_changed": ("避孕方法变更", "Contraception method changed"),
    "iud_check": ("查环", "IUD check"),
    "three_checks": ("三查", "Three checks"),
    "pregnancy_planned": ("计划怀孕", "Pregnancy planned"),
    "prepregnancy_check": ("孕前优生健康检查", "Pre-pregnancy check-up"),
    "certificate_issued": ("证明发放", "Certificate issued"),
    "double_check": ("双查", "Double check"),
    "reward_paid": ("奖励优惠兑现", "Reward paid"),
}


def label(kind, language="zh"):
    zh, en = KINDS[kind]
    return zh if language == "zh" else en
