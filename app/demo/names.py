"""Chinese names for the synthetic town: common surnames and given-name characters with their
pinyin (kept so that later duplicate matching can compare sounds, not only characters), and
the homophones a worker writing a name from hearing may pick instead.

The tables are small on purpose: a real town has few surnames, many people sharing them, and
given names drawn from a few hundred characters, which is what makes duplicates hard.
"""

# Surnames with rough weights (the most common in north-west China first).
SURNAMES = [
    ("王", "wang", 10), ("李", "li", 10), ("张", "zhang", 9), ("刘", "liu", 7), ("陈", "chen", 5),
    ("杨", "yang", 5), ("赵", "zhao", 4), ("黄", "huang", 3), ("周", "zhou", 3), ("吴", "wu", 3),
    ("徐", "xu", 2), ("孙", "sun", 2), ("马", "ma", 3), ("朱", "zhu", 2), ("胡", "hu", 2),
    ("郭", "guo", 2), ("何", "he", 2), ("高", "gao", 2), ("林", "lin", 1), ("罗", "luo", 1),
    ("郑", "zheng", 1), ("梁", "liang", 1), ("谢", "xie", 1), ("宋", "song", 1), ("唐", "tang", 1),
    ("韩", "han", 1), ("冯", "feng", 1), ("董", "dong", 1), ("薛", "xue", 1), ("田", "tian", 1),
    ("雷", "lei", 1), ("白", "bai", 1), ("贾", "jia", 1), ("任", "ren", 1), ("史", "shi", 1),
]

# Given-name characters by the sex they are mostly given to; "either" serves both.
MALE = [("伟", "wei"), ("强", "qiang"), ("军", "jun"), ("磊", "lei"), ("勇", "yong"),
        ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"),
        ("平", "ping"), ("辉", "hui"), ("鹏", "peng"), ("建", "jian"), ("国", "guo"),
        ("志", "zhi"), ("文", "wen"), ("斌", "bin"), ("波", "bo"), ("宇", "yu"), ("浩", "hao"),
        ("龙", "long"), ("峰", "feng"), ("亮", "liang"), ("兵", "bing"), ("军", "jun"),
        ("德", "de"), ("福", "fu"), ("海", "hai"), ("林", "lin")]
FEMALE = [("丽", "li"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
          ("秀", "xiu"), ("英", "ying"), ("华", "hua"), ("霞", "xia"), ("燕", "yan"),
          ("红", "hong"), ("玲", "ling"), ("梅", "mei"), ("艳", "yan"), ("娟", "juan"),
          ("琴", "qin"), ("兰", "lan"), ("萍", "ping"), ("婷", "ting"), ("雪", "xue"),
          ("倩", "qian"), ("慧", "hui"), ("莉", "li"), ("凤", "feng"), ("洁", "jie"),
          ("欣", "xin"), ("悦", "yue"), ("佳", "jia"), ("琳", "lin"), ("颖", "ying")]
EITHER = [("小", "xiao"), ("春", "chun"), ("晓", "xiao"), ("海", "hai"), ("玉", "yu"),
          ("金", "jin"), ("永", "yong"), ("新", "xin"), ("子", "zi"), ("一", "yi")]

# Characters that sound alike (same syllable, ignoring tone): what a worker may write for the
# one she heard. Each group is one syllable.
HOMOPHONES = [
    "丽莉力立利", "芳方芬", "敏珉民", "静婧晶菁", "英瑛莹颖", "华桦花", "燕艳雁彦", "红虹宏鸿",
    "玲灵凌", "梅美玫", "娟鹃", "琴勤芹", "兰岚蓝", "萍平苹", "婷亭庭", "倩茜", "慧惠辉",
    "凤峰锋枫", "洁杰婕捷", "欣新馨", "佳家嘉", "伟玮炜", "强蔷", "军君钧", "磊蕾", "勇永咏",
    "涛滔韬", "明鸣铭", "超朝", "刚钢", "鹏朋", "建健剑", "国帼", "志智芝", "文雯", "斌彬",
    "波博", "宇雨玉羽", "浩昊皓", "龙隆", "亮靓", "兵冰", "德得", "福富", "海", "林霖琳",
    "小晓", "春纯", "金锦", "子紫", "一怡", "雪学", "悦月",
]
_SOUND = {}
for group in HOMOPHONES:
    for ch in group:
        _SOUND.setdefault(ch, group)


def homophone(rng, char):
    """Another character that sounds like `char`, or `char` itself when it has none here."""
    others = [c for c in _SOUND.get(char, char) if c != char]
    return rng.choice(others) if others else char


_PINYIN = {ch: py for ch, py, _ in SURNAMES}
for _ch, _py in MALE + FEMALE + EITHER:
    _PINYIN.setdefault(_ch, _py)


def pinyin(name):
    """Toneless pinyin syllables of a name written with the characters above, space-separated
    (homophone characters share the syllable of their group)."""
    out = []
    for ch in name:
        if ch in _PINYIN:
            out.append(_PINYIN[ch])
        elif ch in _SOUND:
            out.append(_PINYIN.get(_SOUND[ch][0], "?"))
        else:
            out.append("?")
    return " ".join(out)


def surname(rng):
    chars, weights = zip(*[((ch, py), w) for ch, py, w in SURNAMES])
    return rng.choices(chars, weights)[0][0]


def given_name(rng, sex):
    """One or (mostly) two characters."""
    pool = (MALE if sex == "male" else FEMALE) + EITHER
    first = rng.choice(pool)[0]
    if rng.random() < 0.15:
        return first
    second = rng.choice(MALE if sex == "male" else FEMALE)[0]
    return first + second
