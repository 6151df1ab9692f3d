"""A rich report document made with app.reports.document's builders, for the faces' tests
(HTML, print, XLSX, charts, text) while the real figures are built in parallel: every part of
the shape is present, with rates, None values, lists, amendments and chart series."""
from app.reports import document as d

MONTHS = ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10",
          "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
FLOW = [d.column("month", "本月", "This month"), d.column("late", "补报", "Late"),
        d.column("ytd", "本年累计", "Year to date"),
        d.column("stat_ytd", "统计年度累计", "Statistical year to date"),
        d.column("last_year", "去年同期", "Same period last year")]
STOCK = [d.column("start", "期初", "Start"), d.column("end", "期末", "End")]
VILLAGES = [{"code": "dongwan", "zh": "东湾村", "en": "Dongwan"},
            {"code": "xishan", "zh": "西山村", "en": "Xishan"},
            {"code": "nanhe", "zh": "南河村", "en": "Nanhe"}]


def _flow(id, zh, en, *numbers, unit="count"):
    return d.row(id, zh, en, dict(zip(("month", "late", "ytd", "stat_ytd", "last_year"),
                                      numbers)), unit)


def sections():
    a = d.table("A", "人口", "Population", STOCK, [
        d.row("population", "总人口", "Population", {"start": 5012, "end": 5020}),
        d.row("population_male", "其中男", "of whom male", {"start": 2530, "end": 2534}),
        d.row("women_15_49", "育龄妇女", "Women 15–49", {"start": 1200, "end": 1203}),
        d.row("married_women_15_49", "其中已婚", "of whom married", {"start": 910, "end": 912}),
    ], note={"zh": "现居住人口口径", "en": "Residence basis (as lived in)"})
    b = d.table("B", "人口变动", "Changes", FLOW, [
        _flow("births", "出生", "Births", 6, 1, 17, 31, 15),
        _flow("deaths", "死亡", "Deaths", 3, 0, 9, 20, 11),
        _flow("moved_in", "迁入", "Moved in", 2, 0, 5, 8, 4),
        _flow("moved_out", "迁出", "Moved out", 1, 0, 4, 9, 6),
        _flow("birth_rate", "出生率", "Birth rate", 14.35, None, 13.6, 12.38, 12.01,
              unit="permille"),
        _flow("natural_growth_rate", "自然增长率", "Natural growth rate", 7.17, None, 6.4,
              4.39, 3.2, unit="permille"),
    ])
    c = d.table("C", "出生", "Births",
                [d.column("male", "男", "Boys"), d.column("female", "女", "Girls"),
                 d.column("total", "合计", "Total")],
                [d.row("order_1", "一孩", "First child", {"male": 2, "female": 1, "total": 3}),
                 d.row("order_2", "二孩", "Second child", {"male": 1, "female": 1, "total": 2}),
                 d.row("order_3", "三孩", "Third child", {"male": 1, "female": 0, "total": 1}),
                 d.row("order_unknown", "孩次不详", "Order unknown",
                       {"male": 0, "female": 0, "total": 0}),
                 d.row("srb", "出生性别比", "Sex ratio at birth",
                       {"male": None, "female": None, "total": 200.0}, unit="ratio")])
    dd = d.table("D", "孕情", "Pregnancies", FLOW, [
        _flow("reported", "新报孕情", "Reported", 8, 0, 20, 40, 18),
        _flow("ended_miscarriage", "自然流产", "Miscarriage", 1, 0, 2, 3, 1),
        _flow("termination_15plus", "其中≥15周", "of which at 15+ weeks", 1, 0, 1, 1, 0),
    ])
    e = d.table("E", "节育", "Contraception", STOCK, [
        d.row("method_iud", "宫内节育器", "IUD", {"start": 400, "end": 402}),
        d.row("method_sterilisation_f", "女扎", "Female sterilisation", {"start": 300,
                                                                          "end": 300}),
        d.row("contraceptive_prevalence", "综合避孕率", "Contraceptive prevalence",
              {"start": 78.02, "end": 78.11}, unit="percent"),
    ])
    f = d.table("F", "三查", "Three checks",
                [d.column("due", "应查", "Due"), d.column("done", "实查", "Done"),
                 d.column("rate", "率", "Rate", "percent")],
                [d.row("iud", "查环", "IUD check", {"due": 400, "done": 352, "rate": 88.0}),
                 d.row("pregnancy", "查孕", "Pregnancy check", {"due": 900, "done": 0,
                                                             "rate": 0.0}),
                 d.row("illness", "查病", "Illness check", {"due": 0, "done": 0, "rate": None})])
    g = d.table("G", "孕优", "Pre-pregnancy checks", FLOW[:1] + FLOW[2:3], [
        _flow("planned", "计划怀孕夫妇", "Couples planning", 5, None, 30),
        _flow("checked", "已检夫妇", "Couples checked", 4, None, 25),
    ])
    h = d.table("H", "流动人口", "Migrants", FLOW[:1], [
        _flow("certificates", "持证", "Certificates", 3),
        _flow("double_check", "双查到位", "Double checks done", 2)])
    i = d.table("I", "奖励扶助", "Rewards",
                [d.column("due", "应兑现", "Due"), d.column("paid", "已兑现", "Paid"),
                 d.column("amount", "金额", "Amount", "yuan")],
                [d.row("only_child", "独生子女父母奖励", "Only-child parents' reward",
                       {"due": 40, "paid": 38, "amount": 4560.5})])
    j = d.table("J", "统计质量", "Statistics quality",
                [d.column("value", "数值", "Value")],
                [d.row("late_records", "补报", "Late records", {"value": 1}),
                 d.row("accuracy", "统计准确率", "Statistics accuracy", {"value": None},
                       unit="percent")],
                note={"zh": "统计准确率：未测量", "en": "Statistics accuracy: not measured"})
    return [a, b, c, dd, e, f, g, h, i, j]


def lists():
    """In the shape of app.reports.lists: a row per person, labelled by her name, numbered in column "no"."""
    ended = d.table(
        "pregnancies_ended", "孕情消失名单", "Pregnancies ended",
        [d.column("no", "序号", "No.", "count"), d.column("woman", "姓名", "Woman", "text"),
         d.column("village", "村", "Village", "text"),
         d.column("date", "结束日期", "Ended on", "date"),
         d.column("outcome", "结局", "Outcome", "text"),
         d.column("weeks", "孕周", "Weeks", "weeks"),
         d.column("approval_no", "审批号", "Approval number", "text"),
         d.column("instance_id", "提交编号", "Submission", "text")],
        [d.row("e1", "李秀英", "李秀英", {"no": 1, "woman": "李秀英", "village": "东湾村",
                                         "date": "2025-03-04", "outcome": "中期引产",
                                         "weeks": 16, "approval_no": "",
                                         "instance_id": "uuid:5f1e"}, unit="text"),
         d.row("e2", "王芳", "王芳", {"no": 2, "woman": "王芳", "village": "西山村",
                                   "date": "2025-03-19", "outcome": "自然流产", "weeks": 8,
                                   "approval_no": None, "instance_id": "uuid:77ab"},
               unit="text")])
    empty = d.table("overdue_pregnancies", "逾期未报结局孕情", "Overdue pregnancies",
                    [d.column("no", "序号", "No.", "count"),
                     d.column("woman", "姓名", "Woman", "text")], [])
    return [ended, empty]


ANNUALISED = {"period": "ytd_annualised", "zh": "本年累计（年化）", "en": "Year to date, annualised"}
AT_END = {"period": "end", "zh": "期末", "en": "End of month"}
YTD = {"period": "ytd", "zh": "本年累计", "en": "Year to date"}


def village_table():
    columns = [d.column("population_end", "期末人口", "Population", "count"),
               d.column("births_month", "出生 本月", "Births, month", "count"),
               d.column("sex_ratio_rolling_12", "性别比（近12个月）", "Sex ratio (12 months)",
                        "ratio")]
    rows = [d.row(v["code"], v["zh"], v["en"], values) for v, values in zip(VILLAGES, (
        {"population_end": 2001, "births_month": 3, "sex_ratio_rolling_12": 150.0},
        {"population_end": 1500, "births_month": 1, "sex_ratio_rolling_12": None},
        {"population_end": 1519, "births_month": 2, "sex_ratio_rolling_12": 83.33}))]
    rows.append(d.row("total", "合计", "Town total", {"population_end": 5020,
                                                      "births_month": 6,
                                                      "sex_ratio_rolling_12": 140.0}))
    return d.table("villages", "分村汇总", "By village", columns, rows)


def document(kind="village", state="locked"):
    village = VILLAGES[0] if kind == "village" else None
    month_srb = d.srb(4, 2, None, None, None, "few")
    lock = ({"state": "locked", "version": 2, "locked_at": "2025-04-01T16:00:00Z",
             "locked_by": "supervisor"} if state == "locked" else
            {"state": "open", "version": None, "locked_at": None, "locked_by": None})
    return {
        "kind": kind, "project_id": 1, "month": "2025-03", "village": village,
        "villages": VILLAGES[:1] if kind == "village" else VILLAGES,
        "generated_at": "2025-04-02T08:00:00Z", "lock": lock,
        "sections": sections(),
        "indicators": [
            d.indicator("birth_rate", "出生率", "Birth rate", "permille",
                        {"month": 14.35, "ytd": 13.6, "stat_ytd": 12.38, "last_year": 12.01,
                         "rolling_12": 12.5, "ytd_annualised": 13.1},
                        target=12.0, met=False, basis=ANNUALISED),
            d.indicator("contraceptive_prevalence", "综合避孕率", "Contraceptive prevalence",
                        "percent", {"end": 78.11}, basis=AT_END),
            d.indicator("prepregnancy_coverage", "孕前优生覆盖率", "Pre-pregnancy coverage",
                        "percent", {"month": 80.0, "ytd": 83.33}, target=80.0, met=True,
                        basis=YTD),
            d.indicator("three_checks_coverage", "三查覆盖率", "Three-checks coverage",
                        "percent", {"round": 62.5}, target=95.0, met=False,
                        basis={"period": "round", "zh": "本轮", "en": "This round"}),
            d.indicator("statistics_accuracy", "统计准确率", "Statistics accuracy", "percent",
                        {"month": None}, target=95.0, met=None,
                        basis={"zh": "未测量（尚无核查）",
                               "en": "Not measured (no reconciliation yet)"}),
        ],
        "sex_ratio": {
            "month": month_srb, "rolling_12": d.srb(140, 100, 140.0, 108.4, 180.8, "high"),
            "year": d.srb(120, 90, 133.33, 101.5, 175.1, "watch"),
            "stat_year": d.srb(150, 110, 136.36, 106.5, 175.2, "watch"),
            "villages": [
                {"village": "dongwan", "zh": "东湾村", "en": "Dongwan", "month": month_srb,
                 "rolling_12": d.srb(60, 40, 150.0, 101.2, 222.0, "watch")},
                {"village": "xishan", "month": d.srb(1, 1, None, None, None, "few"),
                 "rolling_12": d.srb(9, 4, None, None, None, "few")},
                {"village": "nanhe", "month": d.srb(0, 0, None, None, None, "few"),
                 "rolling_12": d.srb(50, 60, 83.33, 57.4, 120.6, None)}]},
        "lists": lists(),
        "alerts": [{"id": "srb_high", "zh": "出生性别比偏高", "en": "Sex ratio at birth high",
                    "village": None, "count": 1},
                   {"id": "approval_missing", "zh": "≥15周终止妊娠缺审批号",
                    "en": "Terminations at 15+ weeks without approval number",
                    "village": "dongwan", "count": 1}],
        "amendments": [d.amendment("2025-03", "dongwan", "birth", "birth:female:2", 1,
                                   "uuid:0b7c-late", "2025-04-05T09:00:00Z", "late")],
        "late_records": [d.amendment("2025-02", "xishan", "death", "death:male", -1,
                                     "uuid:11aa-corr", "2025-03-10T10:30:00Z", "removed")],
        "charts": {"trend": {  # app.reports.figures' shape: a list per series, None for no value
            "months": MONTHS, "births": [3, 5, 2, 4, 6, 1, 0, 3, 4, 5, 6, 6],
            "deaths": [2, 1, 3, 2, 2, 4, 1, 2, None, 3, 3, 3],
            "population": [4990, 4993, 4992, 4994, 4998, 4995, 4994, 4995, 5000, 5002, 5012,
                           5020]}},
        "village_table": village_table() if kind == "town" else None,
    }
