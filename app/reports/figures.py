"""The report's figures from summary cells: sections A–E (population, changes, births,
pregnancies, contraception), the indicator rows they give, the sex-ratio block, the charts'
series, the figure alerts and the town's village table. Pure functions of cell dicts
({cell: n}, app.reports.cells names); app.reports.build reads the cells and calls them.
Definitions: ../shared/REPORTS.md §1; every row id is listed in docs/reports/figures.md."""
from app.reports import document, srb as _srb
from app.reports.periods import Month
from app.reports.read import add, is_stock
from app.reports.srb import half_up

#: flow windows of a report (SPEC.md columns; `late` is filled by the lock service)
FLOWS = ("month", "ytd", "stat_ytd", "last_year")
FLOW_COLUMNS = [document.column("month", "本月", "This month"),
                document.column("late", "补报", "Late records"),
                document.column("ytd", "本年累计", "Year to date"),
                document.column("stat_ytd", "统计年度累计", "Statistical year to date"),
                document.column("last_year", "去年同期", "Same period last year")]
STOCK_COLUMNS = [document.column("start", "期初", "Start of month"),
                 document.column("end", "期末", "End of month")]
#: days a rate is annualised to (REPORTS.md §1.1)
YEAR_DAYS = 365


# ---- the periods of a month ------------------------------------------------------------

def first_month(month):
    """The earliest month a report of `month` reads month by month: January of last year
    (last year's column, the statistical year and the rolling 12 months all start later)."""
    return Month(month.year - 1, 1)


def periods(month, base, monthly):
    """The windows of the report of `month` (a Month) from `base` (stock cells at the end of
    the month before first_month) and `monthly` ({'YYYY-MM': {cell: n}} from first_month to
    `month`). Returns {"month", "flows": {window: cells}, "starts": {window: stock cells at
    its start}, "ends": {window: stock cells at its end}, "mean_population": {window: P̄},
    "days": {window: days}, "trend": [(month key, flow cells, stock cells at its end)]};
    windows: month, ytd, stat_ytd, last_year, rolling_12."""
    first = first_month(month)
    running = {cell: n for cell, n in base.items() if is_stock(cell)}
    ends = {str(first.plus(-1)): dict(running)}
    flows_of = {}
    for m in month.back_to(first):
        cells = monthly.get(str(m), {})
        flows_of[str(m)] = {cell: n for cell, n in cells.items() if not is_stock(cell)}
        for cell, n in cells.items():
            if is_stock(cell):
                running[cell] = running.get(cell, 0) + n
        ends[str(m)] = dict(running)
    windows = {"month": [month], "ytd": month.year_to_date(),
               "stat_ytd": month.statistical_year_to_date(),
               "last_year": month.same_months_last_year(), "rolling_12": month.rolling_12()}
    out = {"month": month, "flows": {}, "starts": {}, "ends": {}, "mean_population": {},
           "days": {}}
    for name, months in windows.items():
        points = [ends[str(months[0].plus(-1))]] + [ends[str(m)] for m in months]
        out["flows"][name] = add(*[flows_of[str(m)] for m in months])
        out["starts"][name], out["ends"][name] = points[0], points[-1]
        out["mean_population"][name] = chronological_mean([population(p) for p in points])
        out["days"][name] = sum(m.days for m in months)
    out["trend"] = [(str(m), flows_of[str(m)], ends[str(m)]) for m in windows["rolling_12"]]
    # each month's flows and stocks at its end, for sections F–I's windows (app.reports.coverage)
    out["month_flows"], out["month_ends"] = flows_of, ends
    return out


def chronological_mean(values):
    """(P0/2 + P1 + … + Pm-1 + Pm/2) / m for the stocks P0..Pm at the ends of m months
    (P0: the start of the first); for one month (P0 + P1) / 2."""
    m = len(values) - 1
    if m < 1:
        return None
    return (values[0] / 2 + sum(values[1:-1]) + values[-1] / 2) / m


# ---- reading cells ---------------------------------------------------------------------

def total(cells, prefix):
    """Sum of the cells named `prefix` + anything (prefix ends with ':')."""
    return sum(n for cell, n in cells.items() if cell.startswith(prefix))


def population(cells):
    return total(cells, "pop:")


def deaths(cells):
    """Deaths of the report: deaths and newborn deaths (two event kinds, one figure)."""
    return total(cells, "death:") + total(cells, "newborn_death:")


def moves(cells, kind, migrant):
    """moved_in / moved_out of migrants (migrant 'yes') or of others (every other value)."""
    n = total(cells, kind + ":")
    yes = cells.get(kind + ":yes", 0)
    return yes if migrant else n - yes


def rate(numerator, denominator, per=1000):
    """numerator / denominator × per, two decimals; None on a zero or missing denominator."""
    if numerator is None or not denominator or denominator <= 0:
        return None
    return half_up(numerator / denominator * per, 2)


def annualised(numerator, denominator, days, per=1000):
    """A rate over `days` scaled to a year of 365 days."""
    if not days or not denominator or denominator <= 0:
        return None
    return half_up(numerator / denominator * per * YEAR_DAYS / days, 2)


def _rest(cells, prefix, known):
    """The cells of a family outside its known values (kept visible, never dropped)."""
    return sum(n for cell, n in cells.items()
               if cell.startswith(prefix) and cell[len(prefix):] not in known)


def _flow_row(id, zh, en, p, value, unit="count"):
    """A row over the flow windows: value(flow cells, window name, p) per column; count rows
    carry `late` (None here: the lock service fills it)."""
    values = {name: value(p["flows"][name], name, p) for name in FLOWS}
    if unit == "count":
        values["late"] = None
    return document.row(id, zh, en, values, unit)


def _stock_row(id, zh, en, p, value, unit="count"):
    return document.row(id, zh, en, {"start": value(p["starts"]["month"]),
                                     "end": value(p["ends"]["month"])}, unit)


def _cell(name):
    return lambda cells, *_: cells.get(name, 0)


def _family(prefix):
    return lambda cells, *_: total(cells, prefix)


# ---- A: population ---------------------------------------------------------------------

def section_a(p):
    """A 人口: people on the register by sex, women 15–49, married, pregnant (start, end)."""
    rows = [
        _stock_row("population_male", "男", "Male", p, _cell("pop:male")),
        _stock_row("population_female", "女", "Female", p, _cell("pop:female")),
        _stock_row("population_sex_unknown", "性别不详", "Sex unknown", p,
                   lambda c: _rest(c, "pop:", ("male", "female"))),
        _stock_row("population", "总人口", "Population", p, population),
        _stock_row("women_15_49", "育龄妇女（15–49岁）", "Women 15–49", p, _cell("women_15_49")),
        _stock_row("married_women_15_49", "其中已婚", "of whom married", p,
                   _cell("married_women_15_49")),
        _stock_row("pregnant", "现孕妇女", "Pregnant women", p, _cell("pregnant")),
    ]
    return document.table("A", "人口", "Population", STOCK_COLUMNS, rows, note=BASIS_NOTE)


BASIS_NOTE = {"zh": "按现居住人口统计（迁出的流动人口不计，迁入的计入）；按事件发生日期计数。",
              "en": "Residence basis (out-migrants leave the count, in-migrants join it); "
                    "events counted by the date they happened."}


# ---- B: changes ------------------------------------------------------------------------

def _start_pop(name, p):
    return population(p["starts"][name])


def _end_pop(name, p):
    return population(p["ends"][name])


def residual(cells, start, end):
    """P_end − (P_start + B − D + in − out): what the flows do not explain (people registered
    with a birth date in the period, corrections of earlier months)."""
    return end - (start + total(cells, "birth:") - deaths(cells)
                  + total(cells, "moved_in:") - total(cells, "moved_out:"))


def _rates(p, town):
    def mean(name):
        return p["mean_population"][name]
    births = lambda c: total(c, "birth:")           # noqa: E731
    growth = lambda c: births(c) - deaths(c)        # noqa: E731
    rows = []
    for id, zh, en, count in (("birth_rate", "出生率", "Birth rate", births),
                              ("death_rate", "死亡率", "Death rate", deaths),
                              ("natural_growth_rate", "自然增长率", "Natural growth rate", growth)):
        rows.append(_flow_row(id, zh, en, p, lambda c, name, p, count=count:
                              rate(count(c), mean(name)), "permille"))
    if town:
        for id, zh, en, count in (
                ("birth_rate_annualised", "出生率（年化）", "Birth rate, annualised", births),
                ("death_rate_annualised", "死亡率（年化）", "Death rate, annualised", deaths),
                ("natural_growth_rate_annualised", "自然增长率（年化）",
                 "Natural growth rate, annualised", growth)):
            rows.append(_flow_row(id, zh, en, p, lambda c, name, p, count=count:
                                  annualised(count(c), mean(name), p["days"][name]),
                                  "permille"))
    return rows


def section_b(p, town=False):
    """B 人口变动: births, deaths, moves, registrations, the balance residual, marriages and
    the rates on the mean population (month not annualised; YTD on the chronological mean;
    the town also annualised)."""
    rows = [
        _flow_row("births", "出生", "Births", p, _family("birth:")),
        _flow_row("deaths", "死亡", "Deaths", p, lambda c, *_: deaths(c)),
        _flow_row("deaths_newborn", "其中新生儿死亡", "of which newborn deaths", p,
                  _family("newborn_death:")),
        _flow_row("moved_in", "迁入", "Moved in", p, _family("moved_in:")),
        _flow_row("moved_in_migrant", "其中流动人口", "of which migrants", p,
                  lambda c, *_: moves(c, "moved_in", True)),
        _flow_row("moved_in_other", "其中非流动人口", "of which not migrants", p,
                  lambda c, *_: moves(c, "moved_in", False)),
        _flow_row("moved_out", "迁出", "Moved out", p, _family("moved_out:")),
        _flow_row("moved_out_migrant", "其中流动人口", "of which migrants", p,
                  lambda c, *_: moves(c, "moved_out", True)),
        _flow_row("moved_out_other", "其中非流动人口", "of which not migrants", p,
                  lambda c, *_: moves(c, "moved_out", False)),
        _flow_row("registered", "新登记", "Newly registered", p, _cell("registered")),
        _flow_row("population_start", "期初人口", "Population at the start", p,
                  lambda c, name, p: _start_pop(name, p)),
        _flow_row("population_end", "期末人口", "Population at the end", p,
                  lambda c, name, p: _end_pop(name, p)),
        _flow_row("balance_residual", "平衡差", "Balance residual", p,
                  lambda c, name, p: residual(c, _start_pop(name, p), _end_pop(name, p))),
        _flow_row("marriages", "结婚", "Marriages", p, _cell("marriage")),
        _flow_row("divorces", "离婚", "Divorces", p, _cell("divorce")),
        _flow_row("mean_population", "平均人口", "Mean population", p,
                  lambda c, name, p: half_up(p["mean_population"][name], 1)),
    ]
    return document.table("B", "人口变动", "Changes", FLOW_COLUMNS, rows + _rates(p, town),
                          note=RATE_NOTE)


RATE_NOTE = {"zh": "平均人口：本月为(期初+期末)/2，累计为各月末人口的序时平均；本月出生率不年化。",
             "en": "Mean population: (start + end) / 2 for the month, the chronological mean "
                   "of month ends for the cumulative columns; monthly rates not annualised."}


# ---- C: births -------------------------------------------------------------------------

ORDERS = (("1", "一孩", "First child"), ("2", "二孩", "Second child"),
          ("3", "三孩", "Third child"), ("4", "四孩及以上", "Fourth child or later"),
          ("unknown", "孩次不详", "Order unknown"))
SEXES = (("male", "男", "boys"), ("female", "女", "girls"))
PLACES = (("hospital", "医院", "Hospital"), ("clinic", "诊所或卫生院", "Clinic or health centre"),
          ("home", "家中", "Home"), ("other", "其他地点", "Elsewhere"))


def births_by(cells, sex=None, order=None):
    """Births (cells birth:{sex}:{order}) of one sex and/or order; an order outside 1–4 counts
    as unknown, a sex other than male/female only in the totals."""
    out = 0
    for cell, n in cells.items():
        if not cell.startswith("birth:"):
            continue
        _, s, o = (cell.split(":") + ["", ""])[:3]
        o = o if o in ("1", "2", "3", "4") else "unknown"
        if (sex is None or s == sex) and (order is None or o == order):
            out += n
    return out


def _srb_part(part):
    def value(cells, *_):
        return _srb.srb(births_by(cells, "male"), births_by(cells, "female"))[part]
    return value


def section_c(p):
    """C 出生: births by the mother's live-birth order × sex, by place, and the sex ratio."""
    rows = []
    for order, zh, en in ORDERS:
        for sex, szh, sen in SEXES:
            rows.append(_flow_row(f"order_{order}_{sex}", f"{zh} {szh}", f"{en}, {sen}", p,
                                  lambda c, *_, s=sex, o=order: births_by(c, s, o)))
        rows.append(_flow_row(f"order_{order}", f"{zh} 合计", f"{en}, total", p,
                              lambda c, *_, o=order: births_by(c, None, o)))
    rows += [
        _flow_row("births_male", "出生 男", "Births, boys", p,
                  lambda c, *_: births_by(c, "male")),
        _flow_row("births_female", "出生 女", "Births, girls", p,
                  lambda c, *_: births_by(c, "female")),
        _flow_row("births_sex_unknown", "出生 性别不详", "Births, sex unknown", p,
                  lambda c, *_: births_by(c) - births_by(c, "male") - births_by(c, "female")),
        _flow_row("births", "出生 合计", "Births, total", p, _family("birth:")),
    ]
    for place, zh, en in PLACES:
        rows.append(_flow_row(f"born_{place}", f"出生地点：{zh}", f"Born: {en}", p,
                              _cell(f"birth_place:{place}")))
    rows += [
        _flow_row("born_place_unknown", "出生地点不详", "Place of birth unknown", p,
                  lambda c, *_: _rest(c, "birth_place:", [pl for pl, *_ in PLACES])),
        _flow_row("born_in_facility", "其中住院分娩", "of which in a facility", p,
                  lambda c, *_: c.get("birth_place:hospital", 0) + c.get("birth_place:clinic", 0)),
        _flow_row("sex_ratio", "出生人口性别比（女=100）", "Sex ratio at birth (boys per 100 girls)",
                  p, _srb_part("ratio"), "ratio"),
        _flow_row("sex_ratio_low", "性别比95%区间下限", "Sex ratio, 95 % interval low", p,
                  _srb_part("low"), "ratio"),
        _flow_row("sex_ratio_high", "性别比95%区间上限", "Sex ratio, 95 % interval high", p,
                  _srb_part("high"), "ratio"),
    ]
    return document.table("C", "出生", "Births", FLOW_COLUMNS, rows, note=SRB_NOTE)


SRB_NOTE = {"zh": "孩次为母亲的活产孩次；出生不足20例不计算性别比（Wilson 95%区间）。",
            "en": "Order is the mother's live-birth order; no sex ratio under 20 births "
                  "(Wilson 95 % interval)."}


# ---- D: pregnancies --------------------------------------------------------------------

OUTCOMES = (("live_birth", "活产", "Live birth"), ("stillbirth", "死产", "Stillbirth"),
            ("miscarriage", "自然流产", "Miscarriage"),
            ("induced_abortion", "人工流产", "Induced abortion"),
            ("medical_termination", "中期引产", "Medical termination"),
            ("ectopic", "异位妊娠", "Ectopic pregnancy"))
DELIVERIES = ("live_birth", "stillbirth")
REASONS = (("spontaneous", "自然发生", "Spontaneous"), ("fetal_anomaly", "胎儿异常", "Fetal anomaly"),
           ("maternal_illness", "孕妇疾病", "Maternal illness"),
           ("contraceptive_failure", "避孕失败", "Contraceptive failure"),
           ("unplanned", "计划外怀孕", "Unplanned pregnancy"), ("other", "其他", "Other"))


def losses(cells):
    """孕情消失: pregnancies ended without a delivery (any outcome but live or stillbirth)."""
    return total(cells, "pregnancy_ended:") - sum(cells.get(f"pregnancy_ended:{o}", 0)
                                                  for o in DELIVERIES)


def terminations(cells):
    return (cells.get("pregnancy_ended:induced_abortion", 0)
            + cells.get("pregnancy_ended:medical_termination", 0))


def section_d(p):
    """D 孕情: pregnancies at the start and end of each period, reported, confirmed, ended by
    outcome, losses by reason, terminations at >= 14 and >= 15 weeks and their approvals."""
    rows = [
        _flow_row("pregnant_start", "期初现孕", "Pregnant at the start", p,
                  lambda c, name, p: p["starts"][name].get("pregnant", 0)),
        _flow_row("pregnancies_reported", "新报孕情", "Pregnancies reported", p,
                  _cell("pregnancy_reported")),
        _flow_row("pregnancies_confirmed", "孕情确认", "Pregnancies confirmed", p,
                  _cell("pregnancy_confirmed")),
        _flow_row("ultrasounds", "B超登记", "Ultrasounds", p, _cell("ultrasound")),
        _flow_row("pregnancies_ended", "孕情结束 合计", "Pregnancies ended, total", p,
                  _family("pregnancy_ended:")),
        _flow_row("deliveries", "其中分娩（活产、死产）", "of which deliveries (live or stillbirth)",
                  p, lambda c, *_: total(c, "pregnancy_ended:") - losses(c)),
        _flow_row("losses", "其中孕情消失", "of which losses", p, lambda c, *_: losses(c)),
    ]
    for outcome, zh, en in OUTCOMES:
        rows.append(_flow_row(f"ended_{outcome}", f"结局：{zh}", f"Outcome: {en}", p,
                              _cell(f"pregnancy_ended:{outcome}")))
    rows.append(_flow_row("ended_unknown", "结局不详", "Outcome unknown", p,
                          lambda c, *_: _rest(c, "pregnancy_ended:", [o for o, *_ in OUTCOMES])))
    for reason, zh, en in REASONS:
        rows.append(_flow_row(f"loss_{reason}", f"消失原因：{zh}", f"Loss reason: {en}", p,
                              _cell(f"loss_reason:{reason}")))
    rows += [
        _flow_row("loss_unknown", "消失原因不详", "Loss reason unknown", p,
                  lambda c, *_: _rest(c, "loss_reason:", [r for r, *_ in REASONS])),
        _flow_row("terminations", "终止妊娠（人工流产、中期引产）",
                  "Terminations (induced abortion, medical termination)", p,
                  lambda c, *_: terminations(c)),
        _flow_row("terminations_14plus", "其中孕14周以上", "of which at 14 weeks or more", p,
                  _cell("termination:14plus")),
        _flow_row("terminations_15plus", "其中孕15周以上", "of which at 15 weeks or more", p,
                  _cell("termination:15plus")),
        _flow_row("terminations_15plus_approved", "孕15周以上 有审批", "15 weeks or more, approved",
                  p, _cell("termination:15plus_approved")),
        _flow_row("terminations_15plus_unapproved", "孕15周以上 无审批号",
                  "15 weeks or more, no approval number", p,
                  lambda c, *_: c.get("termination:15plus", 0)
                  - c.get("termination:15plus_approved", 0)),
        _flow_row("pregnant_end", "期末现孕", "Pregnant at the end", p,
                  lambda c, name, p: p["ends"][name].get("pregnant", 0)),
    ]
    return document.table("D", "孕情", "Pregnancies", FLOW_COLUMNS, rows, note=PREGNANCY_NOTE)


PREGNANCY_NOTE = {"zh": "期初、期末现孕为各列期间开始和结束时的人数；以上含本数（≥）。",
                  "en": "Pregnant at the start and end: at the start and end of each column's "
                        "period; 'or more' includes the number (>=)."}


# ---- E: contraception ------------------------------------------------------------------

PROCEDURES = (("iud_insertion", "放置宫内节育器", "IUD insertion"),
              ("iud_removal", "取出宫内节育器", "IUD removal"),
              ("tubal_ligation", "女性绝育（输卵管结扎）", "Female sterilisation (tubal ligation)"),
              ("vasectomy", "男性绝育（输精管结扎）", "Male sterilisation (vasectomy)"),
              ("implant_insertion", "皮埋植入", "Implant insertion"),
              ("implant_removal", "皮埋取出", "Implant removal"),
              ("injection", "注射避孕针", "Injection"))
#: methods in the national order (REPORTS.md §1.4); long-acting: sterilisations, IUD, implant
METHODS = (("male_sterilisation", "男性绝育", "Male sterilisation"),
           ("female_sterilisation", "女性绝育", "Female sterilisation"),
           ("iud", "宫内节育器", "IUD"), ("implant", "皮下埋植", "Implant"),
           ("pills", "口服避孕药", "Pills"), ("injection", "避孕针", "Injection"),
           ("condom", "避孕套", "Condoms"))
LONG_ACTING = ("male_sterilisation", "female_sterilisation", "iud", "implant")


def users(cells):
    return total(cells, "method:")


def long_acting(cells):
    return sum(cells.get(f"method:{m}", 0) for m in LONG_ACTING)


def procedures(cells):
    """Procedures (手术) this period: every contraception procedure but 'none' (supplies)."""
    return total(cells, "procedure:") - cells.get("procedure:none", 0)


def section_e(p):
    """E 节育: procedures by kind (flows) and methods in use at the start and end with the
    contraceptive prevalence (综合避孕率) and long-acting rate on married women 15–49."""
    rows = [_flow_row(f"proc_{kind}", zh, en, p, _cell(f"procedure:{kind}"))
            for kind, zh, en in PROCEDURES]
    known = [k for k, *_ in PROCEDURES] + ["none"]
    rows += [
        _flow_row("proc_other", "其他手术", "Other procedures", p,
                  lambda c, *_: _rest(c, "procedure:", known)),
        _flow_row("procedures", "节育手术 合计", "Procedures, total", p,
                  lambda c, *_: procedures(c)),
        _flow_row("proc_supplies", "无手术（发放药具）", "No procedure (supplies given)", p,
                  _cell("procedure:none")),
        _flow_row("proc_induced_abortion", "人工流产", "Induced abortions", p,
                  _cell("pregnancy_ended:induced_abortion")),
        _flow_row("proc_medical_termination", "中期引产", "Medical terminations", p,
                  _cell("pregnancy_ended:medical_termination")),
    ]
    for method, zh, en in METHODS:
        rows.append(_stock_row(f"method_{method}", f"现用：{zh}", f"In use: {en}", p,
                               _cell(f"method:{method}")))
    rows += [
        _stock_row("method_other", "现用：其他方法", "In use: other methods", p,
                   lambda c: _rest(c, "method:", [m for m, *_ in METHODS])),
        _stock_row("contraceptive_users", "避孕人数 合计", "Contraceptive users, total", p, users),
        _stock_row("long_acting_users", "其中长效措施", "of whom long-acting", p, long_acting),
        _stock_row("married_women_15_49", "已婚育龄妇女", "Married women 15–49", p,
                   _cell("married_women_15_49")),
        _stock_row("contraceptive_prevalence", "综合避孕率", "Contraceptive prevalence", p,
                   lambda c: rate(users(c), c.get("married_women_15_49", 0), 100), "percent"),
        _stock_row("long_acting_rate", "长效避孕率", "Long-acting rate", p,
                   lambda c: rate(long_acting(c), c.get("married_women_15_49", 0), 100),
                   "percent"),
        _stock_row("long_acting_share", "长效构成比", "Long-acting share of users", p,
                   lambda c: rate(long_acting(c), users(c), 100), "percent"),
    ]
    return document.table("E", "节育", "Contraception", FLOW_COLUMNS + STOCK_COLUMNS, rows,
                          note=CONTRACEPTION_NOTE)


# The methods in use follow the register since the 2026120401 forms ask married women 15–49
# their method and count its changes; a method only older versions recorded may be missing.
CONTRACEPTION_NOTE = {
    "zh": "长效措施：男女绝育、宫内节育器、皮下埋植。避孕率以期末已婚育龄妇女为分母。"
          "现用措施按登记册计：入户走访和人员登记询问已婚育龄妇女的避孕方法，方法变更随走访、"
          "三查和节育服务记入；只由2026120401版之前的表单记录、此后未再变更的方法可能未计入。",
    "en": "Long-acting: sterilisations, IUD, implant. Rates on married women 15–49 at the "
          "period's end. Methods in use follow the register: household visits and the person "
          "form ask married women 15–49 their method, and changes are counted from visits, "
          "the three checks and services; a method recorded only by form versions before "
          "2026120401 and unchanged since may be missing."}


def sections(p, town=False):
    """[A, B, C, D, E] of the periods `p`."""
    return [section_a(p), section_b(p, town), section_c(p), section_d(p), section_e(p)]


# ---- indicators ------------------------------------------------------------------------

#: indicator -> 'max' (met when value <= target) or 'min' (met when value >= target)
DIRECTIONS = {"birth_rate": "max", "natural_growth_rate": "max", "death_rate": "max",
              "prepregnancy_coverage": "min", "three_checks_coverage": "min",
              "certificate_rate": "min", "double_check_rate": "min",
              "statistics_accuracy": "min", "rewards_paid_rate": "min",
              "contraceptive_prevalence": "min", "long_acting_rate": "min"}
ANNUALISED = {"period": "ytd_annualised", "zh": "本年累计（年化）", "en": "Year to date, annualised"}
AT_END = {"period": "end", "zh": "期末", "en": "End of month"}


def met(indicator, value, target):
    """Whether `value` meets `target` in the indicator's direction; None when either is
    missing or the direction unknown."""
    direction = DIRECTIONS.get(indicator)
    if value is None or target is None or direction is None:
        return None
    return value <= target if direction == "max" else value >= target


def indicator(id, zh, en, unit, values, targets, basis):
    """An indicator row judged on values[basis['period']] against targets.get(id)."""
    target = targets.get(id)
    return document.indicator(id, zh, en, unit, values, target=target,
                              met=met(id, values.get(basis["period"]), target), basis=basis)


def indicators(p, targets):
    """The indicator rows computed from cells: birth, death and natural growth rates (‰ by
    window, the rolling 12 months too, judged on the annualised year to date, as plan
    targets are yearly), contraceptive
    prevalence and the long-acting rate (%, at month end)."""
    out = []
    b = lambda c: total(c, "birth:")      # noqa: E731
    for id, zh, en, count in (("birth_rate", "出生率", "Birth rate", b),
                              ("death_rate", "死亡率", "Death rate", deaths),
                              ("natural_growth_rate", "自然增长率", "Natural growth rate",
                               lambda c: b(c) - deaths(c))):
        values = {name: rate(count(p["flows"][name]), p["mean_population"][name])
                  for name in FLOWS + ("rolling_12",)}
        values["ytd_annualised"] = annualised(count(p["flows"]["ytd"]),
                                              p["mean_population"]["ytd"], p["days"]["ytd"])
        out.append(indicator(id, zh, en, "permille", values, targets, ANNUALISED))
    end = p["ends"]["month"]
    mw = end.get("married_women_15_49", 0)
    out.append(indicator("contraceptive_prevalence", "综合避孕率", "Contraceptive prevalence",
                         "percent", {"end": rate(users(end), mw, 100)}, targets, AT_END))
    out.append(indicator("long_acting_rate", "长效避孕率", "Long-acting rate", "percent",
                         {"end": rate(long_acting(end), mw, 100)}, targets, AT_END))
    return out


# ---- sex ratio, alerts, charts ---------------------------------------------------------

def srb_of(cells):
    """The document's sex-ratio dict of the births among flow cells (births_by's boys and
    girls, in one pass: the town's table asks it of every village thrice)."""
    boys = girls = 0
    for cell, n in cells.items():
        if cell.startswith("birth:"):
            sex = cell[6:].partition(":")[0]
            if sex == "male":
                boys += n
            elif sex == "female":
                girls += n
    return _srb.srb(boys, girls)


def sex_ratio(p, villages=()):
    """The sex_ratio block: month, rolling 12 months, calendar year (to date), statistical
    year, the calendar year by order (1, 2, 3 and later: imbalance gathers in higher orders,
    REPORTS.md §4); `villages`: [(village info, windows)] with windows from read.by_area, for
    the town."""
    year = p["flows"]["ytd"]
    by_order = {key: _srb.srb(sum(births_by(year, "male", o) for o in orders),
                              sum(births_by(year, "female", o) for o in orders))
                for key, orders in (("1", "1"), ("2", "2"), ("3plus", "34"))}
    return {"month": srb_of(p["flows"]["month"]), "rolling_12": srb_of(p["flows"]["rolling_12"]),
            "year": srb_of(year), "stat_year": srb_of(p["flows"]["stat_ytd"]),
            "year_by_order": by_order,
            "villages": [{"village": info["code"], "zh": info["zh"], "en": info["en"],
                          "month": srb_of(w.get("month", {})),
                          "rolling_12": srb_of(w.get("rolling_12", {})),
                          "year": srb_of(w.get("ytd", {}))}
                         for info, w in villages]}


ALERTS = {"srb_high": ("出生人口性别比偏高（近12个月，区间高于107）",
                       "Sex ratio at birth high (12 months, interval above 107)"),
          "srb_watch": ("出生人口性别比需关注（近12个月，高于107）",
                        "Sex ratio at birth to watch (12 months, above 107)"),
          "srb_low": ("出生人口性别比偏低，请核查数据（近12个月，区间低于103）",
                      "Sex ratio at birth low, check the data (12 months, interval below 103)"),
          "balance_residual": ("人口平衡差不为零（本月）",
                               "Population balance residual not zero (this month)")}


def _alert(id, village, count):
    zh, en = ALERTS[id]
    return {"id": id, "zh": zh, "en": en, "village": village, "count": count}


def alerts(p, block, village=None):
    """Figure alerts: the sex ratio's flag over 12 months (the report's own area, `village`
    None for the town, and each village of a town report; count = births) and the month's
    non-zero balance residual."""
    out = []
    windows = [(v["village"], v["rolling_12"]) for v in block["villages"]]
    windows.append((village, block["rolling_12"]))
    for code, s in windows:
        if s["flag"] in ("high", "watch", "low"):
            out.append(_alert(f"srb_{s['flag']}", code, s["n"]))
    gap = residual(p["flows"]["month"], population(p["starts"]["month"]),
                   population(p["ends"]["month"]))
    if gap:
        out.append(_alert("balance_residual", village, gap))
    return out


def charts(p, block, indicator_rows):
    """Series for app.reports.charts (shapes in docs/reports/figures.md)."""
    return {
        "trend": {"months": [m for m, _, _ in p["trend"]],
                  "births": [total(f, "birth:") for _, f, _ in p["trend"]],
                  "deaths": [deaths(f) for _, f, _ in p["trend"]],
                  "population": [population(s) for _, _, s in p["trend"]]},
        "sex_ratio": {"window": "rolling_12", "normal": [_srb.NORMAL_LOW, _srb.NORMAL_HIGH],
                      "total": block["rolling_12"],
                      "villages": [dict(v["rolling_12"], village=v["village"], zh=v["zh"],
                                        en=v["en"]) for v in block["villages"]]},
        "coverage": [{"indicator": i["id"], "zh": i["zh"], "en": i["en"], "unit": i["unit"],
                      "value": i["values"].get((i["basis"] or {}).get("period")),
                      "target": i["target"], "met": i["met"]}
                     for i in indicator_rows if i["unit"] == "percent"],
    }


# ---- the town's village table ----------------------------------------------------------

VILLAGE_COLUMNS = (
    ("population_end", "期末人口", "Population", "count"),
    ("women_15_49_end", "育龄妇女", "Women 15–49", "count"),
    ("married_women_15_49_end", "已婚育龄妇女", "Married women 15–49", "count"),
    ("births_month", "出生 本月", "Births, month", "count"),
    ("births_ytd", "出生 累计", "Births, year to date", "count"),
    ("deaths_month", "死亡 本月", "Deaths, month", "count"),
    ("deaths_ytd", "死亡 累计", "Deaths, year to date", "count"),
    ("moved_in_month", "迁入 本月", "Moved in, month", "count"),
    ("moved_in_ytd", "迁入 累计", "Moved in, year to date", "count"),
    ("moved_out_month", "迁出 本月", "Moved out, month", "count"),
    ("moved_out_ytd", "迁出 累计", "Moved out, year to date", "count"),
    ("marriages_month", "结婚 本月", "Marriages, month", "count"),
    ("marriages_ytd", "结婚 累计", "Marriages, year to date", "count"),
    ("pregnant_end", "期末现孕", "Pregnant at the end", "count"),
    ("pregnancies_reported_month", "新报孕情 本月", "Pregnancies reported, month", "count"),
    ("pregnancies_reported_ytd", "新报孕情 累计", "Pregnancies reported, year to date", "count"),
    ("losses_month", "孕情消失 本月", "Losses, month", "count"),
    ("losses_ytd", "孕情消失 累计", "Losses, year to date", "count"),
    ("terminations_15plus_month", "孕15周以上终止 本月", "Terminations >= 15 weeks, month",
     "count"),
    ("terminations_15plus_ytd", "孕15周以上终止 累计", "Terminations >= 15 weeks, year to date",
     "count"),
    ("sex_ratio_rolling_12", "性别比（近12个月）", "Sex ratio (12 months)", "ratio"),
)


#: the cells a village's row of the town's village table and its sex ratio read (names, or
#: prefixes ending ':'); app.reports.build reads no others per village
VILLAGE_CELLS = ("pop:", "women_15_49", "married_women_15_49", "pregnant", "birth:", "death:",
                 "newborn_death:", "moved_in:", "moved_out:", "marriage", "pregnancy_reported",
                 "pregnancy_ended:", "termination:15plus")
#: the windows of each village they read (app.reports.read.by_area)
VILLAGE_WINDOWS = ("month", "ytd", "rolling_12", "end")


def _heads(cells):
    """{'birth:': n, …}: the sum of the cells under each name's first part (one pass, for the
    village table's 1,200 rows instead of a scan of the cells per figure)."""
    out = {}
    for cell, n in cells.items():
        cut = cell.find(":")
        head = cell[:cut + 1] if cut >= 0 else cell
        out[head] = out.get(head, 0) + n
    return out


def village_values(w):
    """One row of the village table from a windows dict (read.by_area's shape)."""
    month, ytd, end = w.get("month", {}), w.get("ytd", {}), w.get("end", {})
    out = {"population_end": _heads(end).get("pop:", 0),
           "women_15_49_end": end.get("women_15_49", 0),
           "married_women_15_49_end": end.get("married_women_15_49", 0),
           "pregnant_end": end.get("pregnant", 0),
           "sex_ratio_rolling_12": srb_of(w.get("rolling_12", {}))["ratio"]}
    for window, suffix in ((month, "month"), (ytd, "ytd")):
        heads = _heads(window)
        delivered = sum(window.get(f"pregnancy_ended:{o}", 0) for o in DELIVERIES)
        for id, n in (("births", heads.get("birth:", 0)),
                      ("deaths", heads.get("death:", 0) + heads.get("newborn_death:", 0)),
                      ("moved_in", heads.get("moved_in:", 0)),
                      ("moved_out", heads.get("moved_out:", 0)),
                      ("marriages", window.get("marriage", 0)),
                      ("pregnancies_reported", window.get("pregnancy_reported", 0)),
                      ("losses", heads.get("pregnancy_ended:", 0) - delivered),
                      ("terminations_15plus", window.get("termination:15plus", 0))):
            out[f"{id}_{suffix}"] = n
    return out


def village_table(villages, unassigned, total_windows):
    """分村汇总: a row per village ([(info, windows)], id = its code), a row for records with no
    village when it has any (id '0'), and 合计 (id 'total': the town, area 0 included)."""
    rows = [document.row(info["code"], info["zh"], info["en"], village_values(w))
            for info, w in villages]
    if any(unassigned.get(k) for k in ("month", "ytd", "end", "rolling_12")):
        rows.append(document.row("0", "未分村", "No village", village_values(unassigned)))
    rows.append(document.row("total", "合计", "Town total", village_values(total_windows)))
    columns = [document.column(id, zh, en, unit) for id, zh, en, unit in VILLAGE_COLUMNS]
    return document.table("villages", "分村汇总", "By village", columns, rows)


# ---- late records ----------------------------------------------------------------------

#: flow-table rows read from stocks or means, which late records give no figure of their own
NOT_LATE = {"population_start", "population_end", "balance_residual", "mean_population",
            "pregnant_start", "pregnant_end"}


def fill_late(doc, late_cells):
    """Fill the `late` column (补报) of the count rows of A–E's flow tables in `doc` from
    `late_cells` ({flow cell: n}: what records about earlier, already locked months added
    since), by the same definitions as the month's figures; for the lock service."""
    windows = tuple(FLOWS) + ("rolling_12",)
    fake = {"flows": {w: late_cells for w in windows}, "starts": {w: {} for w in windows},
            "ends": {w: {} for w in windows}, "mean_population": {w: None for w in windows},
            "days": {w: None for w in windows}}
    late = {(t["id"], r["id"]): r["values"]["month"]
            for t in sections(fake, town=True) for r in t["rows"]
            if "late" in r["values"] and r["id"] not in NOT_LATE}
    for table in doc["sections"]:
        for r in table["rows"]:
            if (table["id"], r["id"]) in late:
                r["values"]["late"] = late[(table["id"], r["id"])]
    return doc
