"""Rule-based extraction of the figures stated in a Chinese result narrative.

Passes: normalise (1:1 offset map, wrapped lines joined) → mark label spans (“…”, 《…》, ranges
such as 1-11月 / 10-50万元) → find rank phrases → find quantities (number [余/多] [万/亿] unit) and
drop dates, periods, ordinals and labels → walk each sentence, classifying every quantity as a
level figure, an excess (超额完成2家), a completion rate, a growth rate or a rank move, and attach
each phrase to the figure it qualifies → name figures from the text around them → fill targets
from the goal title.

Decisions worth knowing:
- "超额完成2家" / "多完成14849件" are not figures: they set target = value − excess of the figure.
- A completion rate c with no other target implies target = value / c × 100 at the value's precision.
- Growth, completion and rank phrases attach to the previous figure(s) of the same sentence; with no
  such figure a growth becomes its own figure (unit "%", value = growth) and a rank a rank-only
  figure (unit "位次", value = rank).
- A difference such as "高于省均6.4个百分点" or a bracketed restatement "50%（22个）" is a figure but
  secondary: ranks and rates skip it and attach to the main figure before it.
- higher_is_better is False when the name measures something bad (差错率, 倍差, 事故 …) unless it is
  an amount of reduction (缩短, 减负 …), or when it is stated as a ceiling (低于, 以下, 降至, 缩小至 …).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from kpi.pipeline.numbers import MULTIPLIERS, UNITS, format_cn, parse_cn_number, scale_value
from kpi.pipeline.periods import TIME_ELAPSED_WORDS, TIME_PROGRESS


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    value_text: str
    qualifier: str | None
    target: float | None
    target_text: str | None
    completion_pct: float | None
    growth_pct: float | None
    rank: int | None
    rank_scope: str | None
    rank_is_top_n: bool
    higher_is_better: bool
    quote: str
    start: int
    end: int
    # How the target is known: "stated" (written, e.g. in the goal title), "excess" (value
    # minus 超额完成/多完成, exact) or "completion" (value / completion rate, approximate).
    target_basis: str | None = None
    # "low" when a rule was unsure (an unrecognised pattern, a list that did not pair, a name from
    # a fallback rule); confidence_reason says why in one Chinese line.
    confidence: str = "high"
    confidence_reason: str | None = None
    # The source states the figure (its value or its rank) as expected, not achieved:
    # 预计 / 有望 / 预期 / 可望 in its quote. Such ranks are not counted as achieved ranks.
    is_forecast: bool = False


@dataclass(frozen=True)
class TitleTarget:
    name: str
    value: float
    unit: str
    value_text: str
    qualifier: str | None
    kind: str  # "level" | "growth" | "rank"
    rank_scope: str | None = None
    rank_is_top_n: bool = False
    # A ceiling (控制在3%左右, 5%以内, 降至1.3以下): kept, not completed.
    ceiling: bool = False


# ---------------------------------------------------------------- vocabulary

_CN_NUM = "零〇一二两三四五六七八九十百千"
_NUM = rf"\d+(?:,\d{{3}})*(?:\.\d+)?|[{_CN_NUM}]+(?:[万亿][{_CN_NUM}]+)*"
_PREFIX_QUALS = "不少于|不低于|不超过|不高于|不多于|不大于|不足|不到|至少|最少|多达|高达|超过|低于|高于|多于|少于|大于|小于|将近|接近|突破|约|近|超|逾"
_UNIT_ALT = "|".join(re.escape(u) for u in UNITS)
_QTY_RE = re.compile(
    rf"(?P<prefix>{_PREFIX_QUALS})?(?P<number>{_NUM})(?P<over_number>余|多)?(?P<multiplier>万亿|千万|百万|万|亿|千(?![瓦克米]))?"
    rf"(?P<over_multiplier>余|多)?(?P<unit>{_UNIT_ALT})?(?P<suffix>以上|以下|以内|左右|上下|(?<=倍)多)?"
)
_LABEL_RE = re.compile(r"“[^“”]*”|‘[^‘’]*’|《[^《》]*》|「[^「」]*」|\"[^\"]*\"")
_RANGE_RE = re.compile(r"\d+(?:\.\d+)?[万亿]?%?\s?(?:[-—–~～]+|至)\s?\d")
_PROGRAMME_VERB_RE = re.compile(
    r"(?:落实|推进|实施|深化|建立|健全|完善|打造|围绕|聚焦|抓好|推行|开展|启动|出台|制定|坚持|强化|构建|做好)$"
)


# Words by which the source forecasts rather than reports (有望全省第1, 预计排名全省前三).
_FORECAST_RE = re.compile(r"预计|有望|预期|可望")
_TIME_UNITS = {"年", "个月", "天", "周", "小时"}
# A unit followed by these characters is really the start of another word (期间, 次性, 户外 …).
_UNIT_WORD_RE = re.compile(
    r"期间|次性|户外|户籍|名单|名称|项目|批示|批准|天然|处理|处置|对接|对象|对标|台账|家庭|家长|场景|场所|"
    r"条例|条件|所有|人均|人民|人员|人才|支持|支出|部门|队伍|片区|块状|元素|周边|周年|年度|年级|年均"
)
_CN_BAD_PREV = set("第前唯统同每逐之初首周万")
# A body that issues policies: "<issuer><Chinese numeral><classifier><noun>" (中央八项规定, 省委十项
# 重大工程, 国务院十条措施) names a policy; a count of results follows a verb (市政府新建三个…).
_ISSUER_RE = re.compile(r"(?:党中央|中央|国务院|国家|省委|省政府|市委|市政府|县委|县政府|区委|区政府)$")
_UNITLESS_OK_RE = re.compile(
    r"(?:至|到|控制在|保持在|为|达到|达|是|低于|不超过|不高于|：|得分|评分)$"
)  # not "数字化改革2.0"

_SCOPE_RE = (
    # 全省11个设区市 / 全市5个县区: the count of places ranked is part of the scope.
    "(?:全国|全省|全市)(?:\\d{1,3}|[一二三四五六七八九十]{1,3})个(?:设区市|地级市|地市|城市|县市区|县（市、区）|县区|区县|区（县）)|"
    "全国中等城市|全国同类城市|全国地级市|全省地级市|全国内河|全省内河|长三角|市直部门|市直单位|"
    "全国|全省|全市|全球|省内|国内"
)
_RANK_VERB = "跃居|稳居|位居|位列|名列|跻身|排名|排位|进入|列|居|排"
_RANK_CORE_RE = re.compile(
    r"(?P<kind>第|前)(?P<n>\d+|[一二三四五六七八九十]+)(?P<suf>位|名)?"
    r"(?!季度|季|届|批|期|次|年|个|课|轮|阶段|级|等|\d|[一二三四五六七八九十.]|家|产业|大|条|项|天|月|周|款|部|章|种|类|步|代|梯队|档|人|方阵|阵营|序列|层次|板块)"
)
_RANK_LEFT_RE = re.compile(
    rf"(?:(?:{_RANK_VERB})?(?P<scope>{_SCOPE_RE})(?:港|城市)?(?:排名|排位|位次|名次)?(?:进位|上升|提升|跃升|前进)?(?:至|到)?"
    rf"(?:并列|进入|跻身|居|位居|位列)?|(?:{_RANK_VERB})(?:进位|上升|提升|跃升|前进)?(?:至|到)?(?:并列)?"
    r"|(?:进位|上升|提升|跃升|前进|前移|升|退)(?:至|到))$"
)
# 稳居全市首位 / 位居全省榜首: rank 1
_RANK_FIRST_RE = re.compile(rf"(?:(?:{_RANK_VERB})(?:全国|全省|全市)?|(?P<scope>{_SCOPE_RE}))(?:首位|榜首|之首)")
_SCOPE_FIND_RE = re.compile(_SCOPE_RE)
_PLACE = r"(?:[\u4e00-\u9fff]|（[^（）]{1,8}）){2,14}?"
_RANK_PLACE_RE = re.compile(
    rf"(?:(?<![位名跃稳并])(?:列|居|排名|排在)|(?P<formal>位列|位居|名列))(?P<place>{_PLACE})(?:中|内)?$"
)
# After 位列/位居/名列 a name of a list (榜单) is a label; a place or group of places is a scope.
_PLACE_END_RE = re.compile(r"(?:圈|地区|城市|城市群|经济带|[省市县区]|（市、区）)$")
_PLACE_NOT_RE = re.compile(r"增速|增幅|排名|指标|总量|收入|同比|全年|前列|首位|榜单|名单|行列")
_RANK_LABEL_RE = re.compile(r"(?:位列|名列|位居)(?P<label>[^，。；、！？\n]{1,25}?)$")
_RANK_BARE_RE = re.compile(
    rf"(?P<scope>{_SCOPE_RE})?(?:排名|排位|位次)(?:为|是)?(?P<n>\d+)(?:位|名)?(?=[，。；、！？\n]|$)"
)

_GROWTH_BASIS = r"同比|环比|比上年同期|比上年|比去年同期|比去年|较上年同期|较上年|较去年同期|较去年|年均"
_GROWTH_RE = re.compile(
    r"(?P<basis>(?:同口径|可比口径|按可比口径|自然口径|按可比价(?:格)?计算|(?:扣除|剔除)[^，。；]{1,10}?因素(?:后)?)"
    r"(?:（[^（）]{1,8}）)?，?)?"
    rf"(?:(?:{_GROWTH_BASIS})(?P<short>增|降)|(?:{_GROWTH_BASIS})?"
    r"(?P<verb>增长|增加|提高|提升|上升|回升|下降|减少|降低|回落|下滑|增速|增幅|降幅))了?(?:分别)?(?:为|达到?|是)?$"
)


def _growth_verb(match: re.Match) -> str:
    """增长 …, or 增 / 降 written short after what it is compared with (同比增12.3%, 同比降3.1%)."""
    return match["verb"] or match["short"]


_COMPLETION_RE = re.compile(
    # 序时进度为50% is the time elapsed, not the work done (投资进度44.12% is)
    rf"(?:(?:目标|投资|计划|任务|年度)?完成(?:率|比例|进度)|(?:投资|总体|工程|建设|整体)?(?<!{TIME_ELAPSED_WORDS})进度"
    r"(?:已?完成)?|完成?工程量的|工程量的|"
    r"(?:完成|达到?|为|占|达成)了?(?:全年|年度|年初|当年|本年|全年度)?"
    r"(?:目标|计划|预算|任务)(?:任务|数|值)?的?)(?:分别)?(?:为|达到?|是)?$"
)
# Verbs by which a growth is stated in multiples (增长2.7倍, 提高1.5倍): the amount grown by.
_MULTIPLE_VERBS = {"增长", "增加", "提高", "提升", "上升", "增"}
_EXCESS_RE = re.compile(r"(?:超额完成|超额|多完成|超出|超计划完成|超目标)了?$")
_RANKMOVE_VERBS = r"前进|进位|上升|提升|跃升|前移|后退|下降|退后|后移"
_RANKMOVE_RE = re.compile(rf"(?:{_RANKMOVE_VERBS})了?$")
# A clause that says only how a rank moved (GDP增速排名较一季度上升3位): its subject is what is ranked.
_RANKMOVE_CLAUSE_RE = re.compile(
    rf"(?:排名|位次|排位)?(?:(?:较|比)[^，。；]{{0,8}}?)?(?:{_RANKMOVE_VERBS})了?\s*(?:\d+|[一二三四五六七八九十]+)\s*(?:位|名|个位次)$"
)
_COMPARE_RE = re.compile(r"^(?:高于|低于|超过|超出|多于|少于|优于|好于|比)")
_PP_CHANGE_RE = re.compile(r"^(?:同比|环比|比上年|较上年)?(?:提高|提升|上升|增加|下降|降低|减少|回落)")
_RELATIONAL_RE = re.compile(r"^(?:占比|比例|比重|覆盖率|占)")
_LOWERED_RE = re.compile(r"(?:缩小|降|降低|下降|压降|压减|减少|控制)(?:至|到|在)$")
_BUDGET_RE = re.compile(r"预算|计划|目标|任务")
_CEILING_QUALS = {"低于", "以下", "以内", "不超过", "不高于", "不多于", "不大于", "小于"}
_BAD_RE = re.compile(
    r"差错|错误|倍差|债务率|负债|伤亡|事故|发生率|空置|能耗|排放|浓度|死亡|失业|投诉|违法|违章|火灾|污染|成本|时间|时长|耗时|逾期"
)
_REDUCTION_RE = re.compile(r"缩短|减少|降低|减负|减免|减返|下降|压降|压减|节约|节省")

_CLAUSE = set("，。；：！？\n")
_SENTENCE = set("。；！？\n")
_CONNECT_RE = re.compile(r"^(?:[、和及与\s]|以及)+|(?:[、和及与\s]|以及)+$")
_LEAD_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+是|其[一二三四五六七八九十]+是|例如|比如|实际|(?:今年|年初|开年|本年度?)?以来|全年|今年|年内|当年|全市|全区|全县|我市|我区|我县|本市|本区|本县|累计|共有|拥有|共计|共(?![同享建富])|合计|其中|预计|已经|已|并且|并(?!购)|同时|此外|另外|"
    r"还(?!原)|(?:截至|截止)(?:\d{4}年)?(?:\d+月)?(?:\d+日)?(?:底|末)?(?:目前)?|\d{4}(?:[-—–~～]\d{4})?年度?|\d+(?:[-—–~～]\d+)?月份?|前三季度|上半年|下半年|[一二三四]季度|[、和及与，\s]|以及)+"
)
_TRAIL_RE = re.compile(
    r"(?:达到|达|为|是|至|共计|共|累计|合计|总计|约|均|已|了|增至|升至|降至|缩小至|缩小到|提高到|提高至|"
    r"提升到|提升至|上升至|下降至|降低至|控制在|保持在|稳定在|维持在|实现|全年|今年|：|以及|有|处于|继续|保持|位于|各|[、，\s])+$"
)
_NOISE_WORDS_RE = re.compile(r"分别|预计|有望|力争")
_POST_STOP_RE = re.compile(
    r"《|入选|获评|获得|获批|参加|参与|提供|开展|实现|通过|完成|达到|达|为|全部|均|都|先后|分别|被|已|共|累计|"
    r"撬动|带动|拉动|惠及|用于|助力|吸引|支撑"
)
_RANK_NOISE_RE = re.compile(
    r"[\s，、。；：“”‘’（）]|预计|有望|力争|均|都|皆|并|且|分别|排名|排位|位次|跃居|位居|位列|名列|居|列|进入|实现"
)
_GROWTH_NOISE_RE = re.compile(r"[\s，、：（）]|同比|环比|还原后|分别|累计|年均|实现|预计|均|按可比价计算")
_RANK_ONLY_TRIM_RE = re.compile(
    rf"^(?:获|在)|(?:中)?(?:连续)?(?:获评|被评为|评为|获)$|(?:{_SCOPE_RE})?(?:排名|排位|位次)$"
)
_RANK_FROM_RE = re.compile(
    rf"(?:由|从)(?:{_SCOPE_RE})?(?:第?(?:\d+|[一二三四五六七八九十]+)位?)(?:进位|上升|提升|跃升|前进|前移|升|下降|后退|退|回落)(?:至|到)$"
)
_GENERIC_RE = re.compile(r"^(?:总数|总量|幅度|数量|排名|位次|增幅|增速)?$")
_NAME_MAX = 30
_NAME_SLACK = 4  # a name this much longer is kept whole
_NAME_BOUNDARY_RE = re.compile(r"[、，：；”’》]|的|以及|和|及|与|并")


# ---------------------------------------------------------------- normalisation

_LIST_MARKERS = set("①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑")
_CN_PUNCT = set("，。；：！？（）、“”‘’《》")
_TO_CN = {";": "；", "(": "（", ")": "）", ":": "：", "!": "！", "?": "？"}


def _normalize(text: str) -> tuple[str, list[int]]:
    """Same-meaning text for matching plus, per character, its index in the original.

    Full-width digits/％ become ASCII, ASCII punctuation becomes Chinese, wrapped lines are
    joined; a blank line stays as "\\n" (a sentence break)."""
    chars: list[str] = []
    offsets: list[int] = []
    pos, length = 0, len(text)
    while pos < length:
        char = text[pos]
        if char.isspace():
            run_end = pos
            while run_end < length and text[run_end].isspace():
                run_end += 1
            following = unicodedata.normalize("NFKC", text[run_end]) if run_end < length else ""
            if text[pos:run_end].count("\n") >= 2:
                chars.append("\n")
                offsets.append(pos)
            elif chars and chars[-1].isdigit() and following.isdigit():
                chars.append(" ")  # keep "10 20" two numbers
                offsets.append(pos)
            pos = run_end
            continue
        if char in _LIST_MARKERS:
            chars.append("\n")  # ①②③ / ⑴ / ⒈ list markers: a sentence break, never a digit
            offsets.append(pos)
            pos += 1
            continue
        if char not in _CN_PUNCT:
            folded = unicodedata.normalize("NFKC", char)
            char = folded if len(folded) == 1 else char
        if char == "|":
            char = "；"  # a pipe-table cell boundary, half- or full-width (｜)
        if char == ",":
            ahead = unicodedata.normalize("NFKC", text[pos + 1 : pos + 5])
            if not (chars and chars[-1].isdigit() and re.match(r"\d{3}(?!\d)", ahead)):
                char = "，"
        elif char == ".":  # a full stop unless it is a decimal point
            ahead = unicodedata.normalize("NFKC", text[pos + 1 : pos + 2])
            if not (chars and chars[-1].isdigit() and ahead.isdigit()):
                char = "。"
        chars.append(_TO_CN.get(char, char))
        offsets.append(pos)
        pos += 1
    return "".join(chars), offsets


# ---------------------------------------------------------------- tokens


@dataclass
class _Quantity:
    """A number with its unit, multiplier (万/亿) and qualifier, as found in the normalised text."""

    start: int  # span incl. qualifiers
    end: int
    value_start: int  # value_text span: number … unit
    value_end: int
    number: str
    multiplier: str
    unit: str
    value: float
    qualifier: str | None


@dataclass
class _Rank:
    start: int
    end: int
    core_start: int  # core 第N / 前N
    rank: int
    scope: str | None
    top_n: bool
    label: str | None = None


@dataclass
class _Draft:
    """A figure while the sentence walk assembles it; ``_to_figure`` turns it into a ``Figure``."""

    kind: str  # level | growth | completion | rank
    name: str
    value: float
    unit: str
    value_span: tuple[int, int]
    qualifier: str | None
    anchor: int
    span_start: int
    span_end: int
    quantity: _Quantity | None = None
    secondary: bool = False
    lowered: bool = False
    group: int = -1
    head: str = ""  # name parts before / after the value, for list repairs
    tail: str = ""
    target: float | None = None
    target_text: str | None = None
    target_basis: str | None = None
    completion: float | None = None
    growth: float | None = None
    excess: float | None = None
    rank: int | None = None
    scope: str | None = None
    top_n: bool = False
    doubt: str | None = None  # why the figure needs a person's check (low confidence)


# A stage reached by part of the items just counted (…项目已开工16个): the verb alone names nothing.
_STAGE_VERBS = (
    r"开工|实施|完成|建成|投产|落地|签约|开业|竣工|启动|完工|通过|验收|办结|到位"
    r"|获批|认定|入选|获评|命名|授牌|批复|创成|申报|推荐|申请|储备"
)
_STAGE_VERB_RE = re.compile(rf"^(?:{_STAGE_VERBS})$")
_STAGE_WORD_RE = re.compile(
    rf"^(?:(?:年度|全年)?(?:计划|目标))?(?:已经|已|累计)?(?:{_STAGE_VERBS})+"
    rf"|(?:已经|已)?(?:{_STAGE_VERBS})+$|中$"
)
_COMPLETION_WORDS_RE = re.compile(
    r"完成率|完成比例|完成进度|进度|完成|已|工程量|年度|全年度|全年|年初|当年|本年|目标|计划|预算|任务|的|达到|达|为|占|分别"
)
_FALLBACK_NAME = "名称取自句首、目标或上一个指标（兜底规则），请核对"
_UNPAIRED = "列举项与数值个数不一致，未能一一对应"
_EACH_UNSPLIT = "“各N”之前的列举项未能拆开，数值是每一项的，请核对"
_EACH_CONJUNCTION = "“各N”之前的列举项按“和/与/及”拆开（这些字也可能是词的一部分），请核对"
_SHORT_ITEM = "列举项名称较短，可能缺少与前一项共同的主语，请核对"
_SECOND_GROWTH = "同一指标的第二个增速（可能是另一口径），请核对"
_WORDS_RE = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,}")


def _bare(name: str) -> str:
    return re.sub(r"（[^（）]*）|[“”‘’]", "", name)


def _has_words(text: str) -> bool:
    """Whether a name has words besides its figures (not "853.2亿元" or "|")."""
    return bool(_WORDS_RE.search(_QTY_RE.sub("", text)))


def _shares(subject: str, name: str) -> bool:
    """Whether a rate's subject (投资) and a figure's name (累计完成投资) speak of the same thing."""
    return any(subject[pos : pos + 2] in name for pos in range(max(1, len(subject) - 1)))


_EXCLUSION_RE = re.compile(r"^(?P<what>(?:不含|不包括|扣除|剔除)[^，。；]{1,12}?)(?:因素)?(?:后)?(?:完成|实现|为|达)?$")
_ASPECT_RE = re.compile(r"总量|总数|规模|增速|增幅")


def _common_suffix(names: list[str]) -> str:
    """增加值 of 工业增加值、服务业增加值、农业增加值 (empty when they share none)."""
    suffix = names[0] if names else ""
    for name in names[1:]:
        while suffix and not name.endswith(suffix):
            suffix = suffix[1:]
    # 工业、服务业 share 业 as the end of their own word, not of the measure
    return suffix.lstrip("业类级型性化") if len(names) > 1 else suffix


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def _clause_start(text: str, pos: int, floor: int) -> int:
    start = pos
    while start > floor and text[start - 1] not in _CLAUSE:
        start -= 1
    return start


def _find_ranks(text: str, labels: list[tuple[int, int]]) -> list[_Rank]:
    ranks: list[_Rank] = []
    for match in _RANK_CORE_RE.finditer(text):
        if _overlaps(match.start(), match.end(), labels):
            continue
        rank_number = int(match["n"]) if match["n"].isdigit() else int(parse_cn_number(match["n"]) or 0)
        left_start = _clause_start(text, match.start(), 0)
        left = text[left_start : match.start()]
        top_n = match["kind"] == "前"
        previous = ranks[-1] if ranks else None
        connector = re.search(r"(?:、|和|及|与|以及)$", left)
        if connector and previous and previous.end == match.start() - len(connector.group()):  # 第2、第1和第4
            ranks.append(_Rank(match.start(), match.end(), match.start(), rank_number, previous.scope, top_n))
            continue
        left_match = _RANK_LEFT_RE.search(left)
        if left_match:
            # 全省62个县中排名第4: a scope earlier in the clause still applies
            scope = left_match["scope"] or next(
                (found[0] for found in reversed(list(_SCOPE_FIND_RE.finditer(left)))), None
            )
            ranks.append(_Rank(left_start + left_match.start(), match.end(), match.start(), rank_number, scope, top_n))
            continue
        left_match = _RANK_PLACE_RE.search(left)
        if (
            left_match
            and not _PLACE_NOT_RE.search(left_match["place"])
            and (not left_match["formal"] or _PLACE_END_RE.search(left_match["place"]))
        ):
            # 列嘉兴第2位 / 居浙北地区第1: the scope is a rank_number or group the report names
            ranks.append(
                _Rank(
                    left_start + left_match.start(), match.end(), match.start(), rank_number, left_match["place"], top_n
                )
            )
            continue
        left_match = _RANK_LABEL_RE.search(left)
        if left_match and not top_n:
            label = left_match["label"]
            scope = {"省": "全省", "国": "全国", "市": "全市"}.get(label[0])
            ranks.append(
                _Rank(left_start + left_match.start(), match.end(), match.start(), rank_number, scope, False, label)
            )
    for match in _RANK_FIRST_RE.finditer(text):
        if not _overlaps(match.start(), match.end(), labels + [(other.start, other.end) for other in ranks]):
            scope = match["scope"] or next((found[0] for found in _SCOPE_FIND_RE.finditer(match.group())), None)
            core = match.end() - 2
            ranks.append(_Rank(match.start(), match.end(), core, 1, scope, False))
    for match in _RANK_BARE_RE.finditer(text):
        if not _overlaps(match.start(), match.end(), labels + [(other.start, other.end) for other in ranks]):
            ranks.append(_Rank(match.start(), match.end(), match.start("n"), int(match["n"]), match["scope"], False))
    # 由第9位进位至第4位 / 由全市第5位上升到第2位: the rank is the one reached; the one left is history.
    ranks.sort(key=lambda other: other.start)
    for rank in ranks:
        left_start = _clause_start(text, rank.start, 0)
        moved = _RANK_FROM_RE.search(text, left_start, rank.core_start)
        if moved and moved.end() == rank.core_start:
            rank.start = min(rank.start, moved.start())
    ranks = [
        other
        for other in ranks
        if not any(
            outer is not other and outer.start <= other.start and other.end <= outer.core_start for outer in ranks
        )
    ]
    return [other for other in ranks if other.rank > 0]


def _find_quantities(text: str, skip: list[tuple[int, int]]) -> list[_Quantity]:
    quantities: list[_Quantity] = []
    for match in _QTY_RE.finditer(text):
        number, unit, multiplier = match["number"], match["unit"] or "", match["multiplier"] or ""
        num_start, num_end = match.start("number"), match.end("number")
        if _overlaps(match.start(), match.end(), skip):
            continue
        is_cn = not number[0].isdigit()
        value = parse_cn_number(number)
        before = text[match.start() - 1] if match.start() > 0 else ""
        after_num = text[num_end] if num_end < len(text) else ""
        after = text[match.end()] if match.end() < len(text) else ""
        pre = text[_clause_start(text, match.start(), 0) : match.start()]
        if value is None or re.match(r"[A-Za-z+]", after_num) or (before and before in "+."):
            continue  # 5G, 5A级, 2+8
        if re.match(r"[A-Za-z]", before) and not (multiplier or unit):
            continue  # PM2.5, PM10 — but 实现 GDP 265.3亿元 states an amount
        if (
            match["suffix"] in ("以上", "以下")
            and (unit != "%" or re.search(r"(?:增速|增幅|增长|降幅)(?:在|达|为)?$", pre))
            and re.match(r"的?[\u4e00-\u9fff]", text[match.end() :])
        ) and not re.match(r"(?:的?(?:增长|增幅|水平))?[，。；、]|的?(?:目标|任务)", text[match.end() :]):
            continue  # 50亿元以上项目 / 增速在8%以上的县区: a size class, not a result
        if re.match(r"的?(?:目标任务|目标|任务)(?!完成)", text[match.end() :]) and re.search(
            r"(?:下达|确定|既定|要求|明确|省定|市定|上级)(?:的)?(?:增长|增速|达到|目标)?$", pre
        ):
            continue  # 完成省下达增长9%的任务: a target quoted in the result
        if unit in _TIME_UNITS and re.search(r"(?:延长|期限|有效期|承包期|周期)(?:再|为|是|至)?$", pre):
            continue  # 承包期再延长30年: a term of a policy, not a result
        if is_cn and unit in ("期", "批", "轮", "届"):
            continue  # 二期工程, 三批: ordinals
        if (
            is_cn
            and unit
            and re.match(r"[\u4e00-\u9fff]", text[match.end() : match.end() + 1])
            and (not pre.strip("、 ") or _PROGRAMME_VERB_RE.search(pre) or _ISSUER_RE.search(pre))
        ):
            # 落实两张清单 / 三项制度改革 / 中央八项规定: a number inside the name of a programme
            # (after the verb that carries it out, or the body that issued it)
            continue
        if is_cn and unit and pre.count("、") >= 1 and pre.count("、") + 1 == value:
            continue  # 劳动、人事、分配三项制度: counts the items just listed, not a result
        if (
            (after and after in "级性型届")
            or (not unit and after and after in "月日号")
            or text.startswith("季度", num_end)
        ):
            continue  # 2000吨级, dates
        if unit in _TIME_UNITS and (
            is_cn
            or text.startswith(("内", "来", "以来", "间", "前", "后", "底", "初", "末"), match.end())
            or (unit == "年" and not is_cn and 1900 <= value <= 2100)
            or (before and before in "前近后" and text[match.start() - 2 : match.start()] != "提前")
        ):
            continue  # years, 2年内, 近3年, 五年倍增 (not 提前3个月)
        if unit and _UNIT_WORD_RE.match(text, match.start("unit")):
            continue
        if before == "第":
            continue  # 第2位 that no rank rule read: an ordinal, never an amount
        if is_cn and (number == "一" or text[num_start - 1 : num_start] in _CN_BAD_PREV):
            continue  # 一批/一次 idioms, 第三, 前三, 唯一
        if not unit:
            if is_cn and not (match["prefix"] and multiplier):
                continue  # 五四村, 二十大; but 超千亿
            if (
                not is_cn
                and not multiplier
                and (not _UNITLESS_OK_RE.search(pre) or ("." not in number and 1900 <= value <= 2100))
            ):
                continue  # bare integers are labels or years unless stated as a value (缩小至1.55)
        qualifier = match["prefix"] or match["over_number"] or match["over_multiplier"] or match["suffix"]
        has_unit_or_mult = bool(unit or multiplier)
        if not has_unit_or_mult and (match["over_number"] or match["over_multiplier"]):
            qualifier = match["prefix"]
        value_end = match.end("unit") if unit else (match.end("multiplier") if multiplier else num_end)
        value_end = max(
            value_end, match.end("over_multiplier") if match["over_multiplier"] and has_unit_or_mult else value_end
        )
        end = match.end() if has_unit_or_mult or match["suffix"] else num_end
        start, value_start = match.start(), num_start
        if _is_minus_sign(text, match.start() - 1) and not match["prefix"] and not is_cn:
            # 增长-2.3%, 增幅为－1.5%: the sign is the number's (1-9月 and 4.5-5.0% have a digit before it).
            value, start, value_start = -value, match.start() - 1, num_start - 1
        quantities.append(
            _Quantity(
                start,
                end,
                value_start,
                value_end,
                number,
                multiplier,
                unit,
                scale_value(value, multiplier),
                qualifier,
            )
        )
    return quantities


def _is_minus_sign(text: str, position: int) -> bool:
    """A minus (-, −, full-width －) at ``position`` that belongs to the number after it: not a
    dash between two numbers or inside a code (A-1), and not a list dash before words."""
    if position < 0 or text[position] not in "-−":
        return False
    previous = text[position - 1] if position > 0 else ""
    return not (previous.isascii() and previous.isalnum()) and previous not in ".%"


# ---------------------------------------------------------------- naming helpers


def _clean(name: str, keep_trailing_de: bool = False) -> str:
    name = _NOISE_WORDS_RE.sub("", name)
    for _ in range(3):
        name = _TRAIL_RE.sub("", _LEAD_RE.sub("", name))
    if not keep_trailing_de:
        name = name.rstrip("的")
    return name.strip("，、：")


def _post_text(text: str, end: int, limit: int, short_pre: bool, at_token: bool) -> str:
    """Noun phrase after the unit (完成134849件档案的开放审核工作), cut before the next verb."""
    ahead = text[end:limit]
    post = re.match(r"[^，。；：！？、（）\n]*", ahead).group()
    if at_token and len(post) == len(ahead):  # runs into the next value: drop the 和 of "85%和61%"
        post = _CONNECT_RE.sub("", post)
    stop = _POST_STOP_RE.search(post)
    if stop and (stop.start() or not short_pre):  # 提前3个月完成目标: keep the verb when little precedes
        post = post[: stop.start()]
    return post


def _fit(name: str) -> str:
    """At most _NAME_MAX characters, keeping the end (what is measured), or up to _NAME_SLACK more
    kept whole rather than a word cut in two; never cut inside brackets."""
    name = name.strip("，、：的 ")
    if len(name) <= _NAME_MAX:
        return name
    shorter = re.sub(r"（[^（）]*）", "", name)  # 东港（半升洞）客运码头…: the aside goes first
    if len(shorter) <= _NAME_MAX + _NAME_SLACK:
        return shorter  # a few characters over: the whole name rather than a word cut in two
    # Cut where a part of the name ends (、，的 …), not inside a word, keeping at least the measure.
    first = len(shorter) - _NAME_MAX
    boundary = next(
        (
            match.end()
            for match in _NAME_BOUNDARY_RE.finditer(shorter)
            if match.end() >= first and len(shorter) - match.end() >= 6
        ),
        first,
    )
    cut = shorter[boundary:]
    close, opening = cut.find("）"), cut.find("（")
    if close >= 0 and (opening < 0 or close < opening):
        cut = cut[close + 1 :]
    return cut.lstrip("，、：”’）")


# A verb before the first item (新增省级、市级示范村) is not part of the item's own head.
_LEADING_VERB_RE = re.compile(r"^(?:新增|新建|建成|创建|培育|引进|打造|改造|举办|开展|评选|认定)")


def _head_length(head: str) -> int:
    return len(_LEADING_VERB_RE.sub("", re.sub(r"[“”‘’]", "", head)))


def _distribute(subject: str, count: int, parts: list[str] | None = None) -> list[str]:
    """Split "铁路、水路货运量" over two values → 铁路货运量, 水路货运量 (a short head borrows the shared tail).
    ``parts``: the items, where the caller has split them already."""
    parts = parts or [part for part in re.split(r"、|和|及", subject) if part]
    if count < 2 or len(parts) != count:
        return [subject] * count
    last_part = parts[-1]
    heads = parts[:-1]
    # The last item's own head is as long as the shortest head (工业、服务业、农业增加值 → 农业 + 增加值).
    shortest = min(heads, key=_head_length)
    own = len(_LEADING_VERB_RE.sub("", shortest))  # quotes included: they are in the last item too
    tail = last_part[own:] if _head_length(shortest) <= 2 and len(last_part) > own + 1 else ""
    names = [head + tail if _head_length(head) <= 3 and tail else head for head in heads]
    return names + [last_part]


_EACH_RE = re.compile(r"各(?:约|达|为|有)?$")


def _each_items(name: str) -> list[str]:
    """The items of "督查、培训", split at 、 where no quote or bracket is open."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(name):
        if char in "“‘（《(":
            depth += 1
        elif char in "”’）》)":
            depth -= 1
        elif char == "、" and depth == 0:
            parts.append(name[start:i])
            start = i + 1
    parts.append(name[start:])
    return [part for part in parts if part]


def _each_item(figure: _Draft, text: str) -> list[_Draft]:
    """召开民主生活会、听取汇报各1次: every listed item has the value, one figure for each
    (a list that does not split stays one figure, marked for a check)."""
    if figure.kind != "level" or not _EACH_RE.search(text[: figure.value_span[0]]):
        return [figure]
    items = _each_items(figure.name)
    doubt = figure.doubt
    if len(items) < 2 and len(re.findall(r"[和与及]", figure.name)) == 1:
        # 推介会和签约会各5场 — but 和 is also inside words (和美乡村): split, and ask a person
        items, doubt = [part for part in re.split(r"[和与及]", figure.name) if part], doubt or _EACH_CONJUNCTION
    if len(items) < 2:
        figure.doubt = doubt or _EACH_UNSPLIT
        return [figure]
    names = _distribute(figure.name, len(items), items)
    return [replace(figure, name=_fit(name), head="", tail="", doubt=doubt) for name in names]


# ---------------------------------------------------------------- sentence walk


def _growth_pct(rate: _Quantity, sign: int) -> float:
    """The growth in % a rate states; 增长2.7倍 is the amount grown by in multiples of the base: +270%."""
    if rate.unit == "倍":
        return float(Decimal(repr(rate.value)) * 100 * sign)
    return sign * rate.value


class _Walker:
    def __init__(self, text: str, parens: list[tuple[int, int]], subject: str = ""):
        self.text = text
        self.parens = parens
        self.groups = 0
        self.subject = subject  # what the goal title measures, for results that do not say (a table cell)
        self.previous: _Draft | None = None  # the last main level figure of the sentences before

    def first_clause(self, sentence_start: int, sentence_end: int) -> str:
        return _clean(re.match(r"[^，。；：！？\n]*", self.text[sentence_start:sentence_end]).group())

    def prev_clause(self, sentence_start: int, pos: int) -> tuple[str, int]:
        """The clause before the one holding pos (same sentence) and its start."""
        end = pos
        while end > sentence_start and self.text[end - 1] not in _CLAUSE:
            end -= 1
        start = _clause_start(self.text, max(end - 1, sentence_start), sentence_start)
        return _clean(self.text[start : max(end - 1, start)]), start

    def paren_of(self, pos: int) -> tuple[int, int] | None:
        return next(((opening, closing) for opening, closing in self.parens if opening < pos < closing), None)

    def sentence(self, tokens: list[_Quantity | _Rank], sentence_start: int, sentence_end: int) -> list[_Draft]:
        text, figures = self.text, []
        prev_end, index = sentence_start, 0
        while index < len(tokens):
            token = tokens[index]
            clause_start = _clause_start(text, token.start, max(sentence_start, prev_end))
            paren = self.paren_of(token.start)
            if paren and paren[0] + 1 > clause_start:
                clause_start = paren[0] + 1
            pre = text[clause_start : token.start]
            if isinstance(token, _Rank):
                run_end = self._run(tokens, index, lambda next_token: isinstance(next_token, _Rank))
                self._ranks(figures, tokens[index:run_end], clause_start, sentence_start, sentence_end)
                prev_end, index = tokens[run_end - 1].end, run_end
                continue
            kind = self._classify(pre, token)
            if kind in ("completion", "growth"):
                run_end = self._run(
                    tokens, index, lambda next_token: isinstance(next_token, _Quantity) and next_token.unit == "%", pre
                )
                if kind == "completion":
                    self._completions(figures, tokens[index:run_end], pre, clause_start, sentence_start, sentence_end)
                else:
                    self._growths(figures, tokens[index:run_end], pre, clause_start, sentence_start, sentence_end)
                prev_end, index = tokens[run_end - 1].end, run_end
                continue
            last_figure = figures[-1] if figures else None
            if kind == "excess":
                last_level = next(
                    (figure for figure in reversed(figures) if figure.kind == "level" and not figure.secondary), None
                )
                if (
                    last_level
                    and last_level.excess is None
                    and last_level.unit.split("（")[0] == token.unit.split("（")[0]
                ):
                    last_level.excess, last_level.span_end = token.value, token.end
                    prev_end, index = token.end, index + 1
                    continue
            if kind == "rankmove":  # 排名14，前进5名: part of the rank, not a figure
                if last_figure:
                    last_figure.span_end = max(last_figure.span_end, token.end)
                prev_end, index = token.end, index + 1
                continue
            next_start = tokens[index + 1].start if index + 1 < len(tokens) else sentence_end
            post = _post_text(text, token.end, next_start, len(_clean(pre)) <= 2, index + 1 < len(tokens))
            figure = self._level(token, pre, clause_start, post, paren, figures, prev_end, sentence_start, sentence_end)
            figures.append(figure)
            prev_end, index = max(token.end, figure.span_end), index + 1
        figures = [item for figure in figures for item in _each_item(figure, text)]
        # 处置15.59万平方米、201幢危房: verb and noun shared by both
        for current, following in zip(figures, figures[1:], strict=False):
            if (
                current.kind == following.kind == "level"
                and current.head
                and not current.tail
                and following.tail
                and not following.head
                and text[current.span_end : following.span_start] == "、"
            ):
                current.name = following.name = _fit(current.head + following.tail)
        for group_id in sorted({figure.group for figure in figures if figure.kind == "level"}):
            members = [figure for figure in figures if figure.group == group_id and figure.kind == "level"]
            if len(members) > 1 and len({member.name for member in members}) == 1:
                names = _distribute(members[0].name, len(members))
                for member, name in zip(members, names, strict=True):
                    member.name = _fit(name)
                    if member is not members[0] and not member.secondary:
                        member.doubt = _UNPAIRED if len(set(names)) == 1 else None
        # 重大行政决策市级4项、镇（街道）8项、部门18项: a short item after a long one may lack their shared subject
        run_head: _Draft | None = None
        for before, current in zip(figures, figures[1:], strict=False):
            listed = before.kind == current.kind == "level" and text[before.span_end : current.span_start] == "、"
            run_head = (run_head or before) if listed else None
            if (
                listed
                and run_head
                and not current.doubt
                and len(_bare(current.name)) <= 4 < len(_bare(run_head.name)) - 3
            ):
                current.doubt = _SHORT_ITEM
        self.previous = next(
            (figure for figure in reversed(figures) if figure.kind == "level" and not figure.secondary), self.previous
        )
        return figures

    def _run(
        self, tokens: list[_Quantity | _Rank], index: int, same: Callable[[_Quantity | _Rank], bool], pre: str = ""
    ) -> int:
        """End of a list run such as "12.8%、7.5%" or "第2、第1" starting at tokens[index].

        After 分别 a comma also separates the items (分别增长31%,12%和9%)."""
        run_end = index + 1
        respectively = "分别" in pre
        while (
            run_end < len(tokens)
            and same(tokens[run_end])
            and not _CONNECT_RE.sub(
                "",
                self.text[tokens[run_end - 1].end : tokens[run_end].start].replace(
                    "，", "、" if respectively else "，"
                ),
            )
        ):
            run_end += 1
        return run_end

    def _classify(self, pre: str, token: _Quantity) -> str:
        if token.unit in ("名", "位") and _RANKMOVE_RE.search(pre):
            return "rankmove"
        if _EXCESS_RE.search(pre):
            return "excess"
        if token.unit == "%" and _COMPLETION_RE.search(pre):
            return "completion"
        if token.unit == "%" and _GROWTH_RE.search(pre):
            return "growth"
        if token.unit == "倍" and (growth := _GROWTH_RE.search(pre)) and _growth_verb(growth) in _MULTIPLE_VERBS:
            return "growth"  # 增长2.7倍: a growth of 270%, not a figure of its own
        return "level"

    def _fallback_name(self, figures: list[_Draft], sentence_start: int, sentence_end: int) -> str:
        if figures:
            return figures[-1].name
        clause = self.first_clause(sentence_start, sentence_end)
        if not _has_words(clause):  # "853.2亿元" alone in a cell: the title says what it is
            return self.subject or "数值"
        return clause

    def _level(
        self,
        token: _Quantity,
        pre: str,
        clause_start: int,
        post: str,
        paren: tuple[int, int] | None,
        figures: list[_Draft],
        prev_end: int,
        sentence_start: int,
        sentence_end: int,
    ) -> _Draft:
        text = self.text
        core = _clean(pre)
        post_clean = post.lstrip("的")
        last_main = next((figure for figure in reversed(figures) if not figure.secondary), None)
        bare = not _CONNECT_RE.sub("", pre)
        secondary = False
        name = _clean(_clean(pre, keep_trailing_de=True) + post_clean) if post_clean else core
        start = token.start if bare else clause_start + (len(pre) - len(pre.lstrip("，、和及与 ")))
        exclusion = _EXCLUSION_RE.match(core)
        if paren and not pre.strip() and figures and text[prev_end : paren[0]].strip() == "":
            secondary, name = True, figures[-1].name  # 50%（22个）: a restatement of the previous figure
        elif exclusion and (last_main or self.previous) and (last_main or self.previous).unit == token.unit:
            last_main = last_main or self.previous
            # 收入79.73亿元，…；不含港区完成67.69亿元: the same figure without a part, named after it
            what = exclusion["what"].replace(last_main.name, "")
            name = f"{last_main.name}（{what}）"  # a figure of its own: its growth and rank attach to it
        elif last_main and (
            _COMPARE_RE.match(core)
            or (token.unit == "倍" and pre.endswith("的"))
            or (token.unit == "个百分点" and last_main.unit == "%" and _PP_CHANGE_RE.match(core))
        ):
            # 高于省均6.4个百分点: a difference from the previous figure, named after it
            secondary, name = True, last_main.name + _NOISE_WORDS_RE.sub("", pre).strip("，、 ").rstrip("的")
        elif last_main and _RELATIONAL_RE.match(core) and not post_clean:
            name = last_main.name + core  # 占比27% → …占比
        elif last_main and _STAGE_VERB_RE.match(name) and last_main.unit == token.unit and last_main.kind == "level":
            # 35个省市县长项目已开工16个 → 开工省市县长项目; 改造已开工50个，完工38个 → 完工改造, not 完工改造已开工
            name = name + (_STAGE_WORD_RE.sub("", last_main.name) or last_main.name)
        elif not name and paren and not pre.strip():
            start = _clause_start(text, paren[0], sentence_start)  # 纯电动出租车占比（91%）
            name = _clean(text[start : paren[0]])
        doubt = None
        if not name:
            name = post_clean or self._fallback_name(figures, sentence_start, sentence_end)
            doubt = None if post_clean else _FALLBACK_NAME
        elif "元" in token.unit and not post_clean:
            name = _MONEY_DONE_RE.sub("", name) or name  # 一般公共预算收入完成79.73亿元: the 收入 is what is counted
        joins_group = (
            bare
            and not post
            and figures
            and figures[-1].kind == "level"
            and figures[-1].quantity
            and not figures[-1].secondary
        )
        group_id = -1
        if joins_group:
            group_id = figures[-1].group  # 85%和61%: one subject, several values (paired below)
        if group_id < 0:
            self.groups += 1
            group_id = self.groups
        return _Draft(
            "level",
            _fit(name),
            token.value,
            token.unit,
            (token.value_start, token.value_end),
            token.qualifier,
            token.start,
            start,
            token.end + len(post),
            quantity=token,
            secondary=secondary,
            lowered=bool(_LOWERED_RE.search(pre)),
            group=group_id,
            head=core,
            tail=post_clean,
            doubt=doubt,
        )

    def _completions(
        self,
        figures: list[_Draft],
        rates: list[_Quantity],
        pre: str,
        clause_start: int,
        sentence_start: int,
        sentence_end: int,
    ) -> None:
        # A second growth of another basis (…，同口径增长18.3%，完成年度预算62.2%) is not what the rate completes.
        main = [figure for figure in figures if not figure.secondary and figure.doubt != _SECOND_GROWTH]
        # 民生支出236.51亿元，占…支出的77.3%，已完成年初预算的51.6%: a budget is completed by the
        # amount, not by the share stated between them.
        amounts = [f for f in main if f.kind == "level" and f.unit != "%" and f.anchor >= sentence_start]
        if len(rates) == 1 and main and main[-1].unit == "%" and amounts and _BUDGET_RE.search(pre):
            main = amounts[-1:]
        main = main[-len(rates) :]
        # 签约项目15个，投资完成率132%: a rate that names what it measures belongs to a figure of that name
        subject = _COMPLETION_WORDS_RE.sub("", _clean(pre))
        if (
            len(main) == len(rates)
            and all(figure.kind == "level" and figure.completion is None for figure in main)
            and (
                len(subject) < 2
                or all(figure.span_end > clause_start or _shares(subject, figure.name) for figure in main)
            )
        ):
            for figure, rate in zip(main, rates, strict=True):
                figure.completion, figure.span_end = rate.value, max(figure.span_end, rate.end)
            return
        name = _clean(re.sub(r"已?完成了?$", "", _clean(pre)))
        fallback = not name
        name = name or self._fallback_name(figures, sentence_start, sentence_end)
        for rate in rates:  # "目标完成率133%" with nothing to attach to
            figures.append(
                _Draft(
                    "completion",
                    _fit(name),
                    rate.value,
                    "%",
                    (rate.value_start, rate.value_end),
                    rate.qualifier,
                    rate.start,
                    clause_start,
                    rate.end,
                    quantity=rate,
                    completion=rate.value,
                    doubt=_FALLBACK_NAME if fallback else None,
                )
            )

    def _growths(
        self,
        figures: list[_Draft],
        rates: list[_Quantity],
        pre: str,
        clause_start: int,
        sentence_start: int,
        sentence_end: int,
    ) -> None:
        growth_match = _GROWTH_RE.search(pre)
        sign = -1 if _growth_verb(growth_match) in ("下降", "减少", "降低", "回落", "下滑", "降幅", "降") else 1
        main = [figure for figure in figures if not figure.secondary][-len(rates) :]
        covered_end = max((figure.span_end for figure in figures), default=sentence_start)
        between = self.text[covered_end : clause_start + growth_match.start()]
        if (
            len(main) == len(rates)
            and all(figure.kind == "level" and figure.growth is None for figure in main)
            and not _GROWTH_NOISE_RE.sub("", between)
        ):
            for figure, rate in zip(main, rates, strict=True):
                figure.growth, figure.span_end = _growth_pct(rate, sign), max(figure.span_end, rate.end)
            return
        subject = _clean(pre[: growth_match.start()])
        doubt = None
        if subject:
            names = _distribute(subject, len(rates))
            if len(rates) > 1 and len(set(names)) == 1:
                doubt = _UNPAIRED
        else:
            names = [self._fallback_name(figures, sentence_start, sentence_end)] * len(rates)
            doubt = _SECOND_GROWTH if figures and figures[-1].growth is not None else _FALLBACK_NAME
        for rate, name in zip(rates, names, strict=True):
            figures.append(
                _Draft(
                    "growth",
                    _fit(name),
                    _growth_pct(rate, sign),
                    "%",
                    (rate.value_start, rate.value_end),
                    rate.qualifier,
                    rate.start,
                    clause_start if rate is rates[0] else rate.start,
                    rate.end,
                    quantity=rate,
                    growth=_growth_pct(rate, sign),
                    doubt=doubt,
                )
            )

    def _ranks(
        self, figures: list[_Draft], ranks: list[_Rank], clause_start: int, sentence_start: int, sentence_end: int
    ) -> None:
        main = [figure for figure in figures if not figure.secondary]
        covered_end = max((figure.span_end for figure in figures), default=sentence_start)
        between = self.text[covered_end : ranks[0].start]
        targets: list[_Draft] = []
        if main and len(ranks) == 1 and re.search("[均都皆]", between):
            targets = [figure for figure in main if figure.rank is None]  # 项目数和指标数均居全省第1
        elif len(main) >= len(ranks) and len(_RANK_NOISE_RE.sub("", between)) <= 4:
            candidates = main[-len(ranks) :]
            targets = candidates if all(figure.rank is None for figure in candidates) else []
        aspect = _ASPECT_RE.fullmatch(_clean(_RANK_NOISE_RE.sub("", between)))
        if aspect and main and len(ranks) == 1:
            # 总量全市第二 / 增速全市第一: the rank of one aspect of the figure before — of that figure only
            # when it is a single figure of that aspect, else a rank figure named after the aspect.
            wants_growth = aspect.group() in ("增速", "增幅")
            last = main[-1]
            fits = last.rank is None and (
                (last.growth is not None) if wants_growth else (last.kind == "level" and last.unit != "%")
            )
            in_list = sum(1 for figure in main if figure.group == last.group or figure.kind == last.kind) > 1
            if fits and not in_list:
                targets = [last]
            else:
                shared = _common_suffix([figure.name for figure in main]) if in_list else last.name
                self._rank_figures(figures, ranks, clause_start, _fit(shared + aspect.group()), None)
                return
        if targets:
            # One rank shared by all targets, or one rank per target (len(targets) == len(ranks) then).
            per_target = ranks if len(ranks) > 1 else ranks * len(targets)
            for figure, rank in zip(targets, per_target, strict=True):
                figure.rank, figure.scope, figure.top_n = rank.rank, rank.scope, rank.top_n
                figure.span_end = max(figure.span_end, rank.end)
            return
        start = clause_start
        names: list[str] = []
        doubt = None
        if ranks[0].label:
            name = ranks[0].label
        else:
            pre = self.text[clause_start : ranks[0].start]
            if len(ranks) > 1:  # 工业、服务业、农业增加值增速分别居全市第2、第1和第4: one name per item
                names = _distribute(_clean(_RANK_ONLY_TRIM_RE.sub("", _clean(pre))), len(ranks))
                doubt = _UNPAIRED if len(set(names)) == 1 else None
            name = _clean(_RANK_ONLY_TRIM_RE.sub("", _clean(pre.split("、")[-1])))
            if name and _GENERIC_RE.match(name) and clause_start > sentence_start:
                # 总数居全省第2: total of the previous clause
                prev_name, start = self.prev_clause(sentence_start, clause_start)
                name = prev_name + name
            elif not name and clause_start > sentence_start:  # …行动，获…激励，排名全省第1: the sentence's subject
                name, start = self.first_clause(sentence_start, sentence_end), sentence_start
                subject = _clean(_RANKMOVE_CLAUSE_RE.sub("", name))
                if subject != name and subject and not _GENERIC_RE.match(subject):
                    name = subject  # GDP增速排名较一季度上升3位，居全省第6: GDP增速 is ranked
                else:
                    doubt = _FALLBACK_NAME
        if not names or doubt:
            names = [name] * len(ranks)
        self._rank_figures(figures, ranks, start, names, doubt)

    def _rank_figures(
        self, figures: list[_Draft], ranks: list[_Rank], start: int, names: list[str] | str, doubt: str | None
    ) -> None:
        if isinstance(names, str):
            names = [names] * len(ranks)
        for rank, name in zip(ranks, names, strict=True):
            figures.append(
                _Draft(
                    "rank",
                    _fit(name) or "排名",
                    float(rank.rank),
                    "位次",
                    (rank.core_start, rank.end),
                    None,
                    rank.start,
                    start if rank is ranks[0] else rank.start,
                    rank.end,
                    rank=rank.rank,
                    scope=rank.scope,
                    top_n=rank.top_n,
                    doubt=doubt,
                )
            )


# ---------------------------------------------------------------- targets


def _finish_targets(figure: _Draft) -> None:
    """Targets implied by 超额完成 / a completion rate, and the completion rate implied by a target."""
    if figure.kind != "level" or figure.quantity is None:
        return
    quantity = figure.quantity
    written = float(Decimal(repr(figure.value)) / MULTIPLIERS.get(quantity.multiplier, 1))
    if figure.excess is not None and figure.target is None:
        figure.target = float(Decimal(repr(figure.value)) - Decimal(repr(figure.excess)))
        figure.target_basis = "excess"
    elif figure.completion and figure.target is None:
        decimals = len(quantity.number.split(".")[1]) if "." in quantity.number else 0  # the value's written precision
        figure.target = scale_value(round(written * 100 / figure.completion, decimals), quantity.multiplier)
        figure.target_basis = "completion"
    if figure.target is not None and figure.target_text is None:
        # A target worked back from a rounded rate is approximate, and says so.
        approximate = "约" if figure.target_basis == "completion" else ""
        figure.target_text = approximate + format_cn(figure.target, figure.unit)
    if figure.target and figure.completion is None:
        figure.completion = round(figure.value / figure.target * 100, 2)


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[“”‘’《》（）、，\text]", "", text)
    return {text[pos : pos + 2] for pos in range(len(text) - 1)} or {text}


def _similar(first: str, second: str) -> float:
    first_pairs, second_pairs = _bigrams(first), _bigrams(second)
    return len(first_pairs & second_pairs) / min(len(first_pairs), len(second_pairs))


_THRESHOLD_NAME_RE = re.compile(r"^各|各项|各类|全部|所有|均$|都$")


def _apply_title(drafts: list[_Draft], title: str) -> None:
    for stated in title_target(title):
        if stated.kind == "rank" or _THRESHOLD_NAME_RE.search(stated.name):
            continue  # 各项指标均增长8%以上: a floor for every figure, not the target of one
        matches = []
        for draft in drafts:
            if (draft.target is not None and draft.target_basis != "completion") or draft.secondary:
                continue  # a target worked back from a rate gives way to the one the title states
            if stated.kind == "growth" and draft.kind != "growth":
                continue
            if stated.kind == "level" and (
                draft.kind != "level" or draft.unit.split("（")[0] != stated.unit.split("（")[0]
            ):
                continue
            if _similar(stated.name, draft.name) >= 0.5:
                matches.append(draft)
        if len(matches) == 1:  # several candidates (小巨人44家、隐形冠军5家 vs one total) is ambiguous
            chosen = matches[0]
            chosen.target, chosen.target_text, chosen.target_basis = stated.value, stated.value_text, "stated"
            # A ceiling (控制在5%以内) is kept, not completed: 4.6% of it is no "92% done".
            if stated.kind == "level" and chosen.completion is None and stated.value and not stated.ceiling:
                chosen.completion = round(chosen.value / stated.value * 100, 2)


# ---------------------------------------------------------------- indicator table rows
#
# A row of an indicator table imported without its header rows: the goal is the indicator and
# its target ("地区生产总值 | 8%左右", "财政总收入｜8%以上"), the result the row's other cells
# ("9.7 | 853.2亿元 | 完成 | 2"): values, a verdict (完成 / 未完成 …) and, after the verdict, the
# rank. The header (增幅 / 绝对值 / 评价 / 全市排名) is lost, so the cells are read by their form:
# an amount (853.2亿元) is the indicator's value, a rate (16.2%) is its growth — or, when the
# indicator is itself a rate (城镇化率), its value —, a bare number before the verdict takes the
# unit of the target (9.7 under 8%左右 is 9.7%), and a bare integer after the verdict is a rank
# whose scope the row does not say. Anything else in a cell and the row is read as a narrative.

_CELL_MAX = 16
_VERDICT_RE = re.compile(
    r"(?:已|未|基本|超额|提前|未能)?(?:完成|达到|达标|实现|超额完成|达成)|未达标|未达到|达到预期|未达预期"
)
_FOOTNOTE_RE = re.compile(r"（?[*※]+）?$")
_BARE_NUMBER_RE = re.compile(r"(?P<sign>[+-])?(?P<number>\d+(?:\.\d+)?)(?P<pct>%)?")
# Indicators that are themselves a rate or a ratio: a % cell is their value, not their growth.
_RATE_INDICATOR_RE = re.compile(r"(?:率|比重|占比|比例|比值|系数|指数|倍差|覆盖面)$")
_ROW_RANK_REASON = "表头未随行导入：评价后的整数按排名读取，排名范围未注明，请核对"
_FOOTNOTE_REASON = "单元格带（*）等注记，注释不在本行，请核对"
_MONEY_UNIT_REASON = "原文未写单位，按名称推定为元"


@dataclass
class _Cell:
    start: int  # span in the normalised text, footnote mark excluded
    end: int
    text: str
    footnote: bool


def _cells(normalised: str) -> list[_Cell]:
    """The non-empty cells of a normalised table row (cells end at ；, which | became)."""
    cells, start = [], 0
    for end in [pos for pos, char in enumerate(normalised) if char == "；"] + [len(normalised)]:
        raw = normalised[start:end]
        text = raw.strip(" 。")
        if text:
            offset = start + raw.index(text)
            mark = _FOOTNOTE_RE.search(text)
            core = text[: mark.start()] if mark and mark.start() else text
            cells.append(_Cell(offset, offset + len(core), core, bool(mark and mark.start())))
        start = end + 1
    return cells


def _indicator_title(title: str) -> tuple[str, TitleTarget | None] | None:
    """An indicator-table title ("地区生产总值 | 8%左右") → (地区生产总值, its target), else None."""
    if "|" not in unicodedata.normalize("NFKC", title):
        return None
    normalised, _ = _normalize(title)
    cells = _cells(normalised)
    if len(cells) < 2 or not (2 <= len(cells[0].text) <= 20) or re.search(r"\d", cells[0].text):
        return None
    name = cells[0].text
    if not _has_words(name) or re.search(r"[，。；：！？]", name):
        return None
    target = None
    match = _QTY_RE.search(cells[1].text)
    if match and match["number"][0].isdigit():
        unit, multiplier = match["unit"] or "", match["multiplier"] or ""
        value = scale_value(float(match["number"].replace(",", "")), multiplier)
        qualifier = match["prefix"] or match["over_number"] or match["over_multiplier"] or match["suffix"]
        rate_as_growth = unit == "%" and not _RATE_INDICATOR_RE.search(name)
        kind = "growth" if rate_as_growth else "level"
        written = match["number"] + multiplier + unit
        target = TitleTarget(name, value, unit, written, qualifier, kind)
    return name, target


def _indicator_row(text: str, title: str) -> tuple[list[_Draft], list[int]] | None:
    """The figures of a headerless indicator-table row (see above), or None to read it as a narrative."""
    heading = _indicator_title(title) if title else None
    if heading is None or "|" not in unicodedata.normalize("NFKC", text):
        return None
    name, target = heading
    normalised, offsets = _normalize(text)
    cells = _cells(normalised)
    if len(cells) < 2 or any(len(cell.text) > _CELL_MAX for cell in cells):
        return None
    amounts: list[tuple[_Cell, re.Match]] = []
    rates: list[tuple[_Cell, float]] = []
    rank: tuple[_Cell, int] | None = None
    verdict_seen = False
    for cell in cells:
        bare = _BARE_NUMBER_RE.fullmatch(cell.text)
        quantity = _QTY_RE.fullmatch(cell.text)
        if _VERDICT_RE.fullmatch(cell.text):
            verdict_seen = True
        elif bare and not bare["pct"] and verdict_seen and "." not in bare["number"] and rank is None:
            rank = (cell, int(bare["number"]))
        elif bare and (bare["pct"] or (target is not None and target.unit == "%")) and not verdict_seen:
            rates.append((cell, float(bare["number"]) * (-1 if bare["sign"] == "-" else 1)))
        elif (
            quantity
            and quantity["number"][0].isdigit()
            and (quantity["multiplier"] or quantity["unit"])
            and not verdict_seen
        ):
            amounts.append((cell, quantity))
        elif not re.search(r"\d", cell.text) and not verdict_seen:
            continue  # 低于市平均: a value in words, no draft
        else:
            return None
    if len(amounts) > 1 or len(rates) > 1 or not (amounts or rates or rank):
        return None
    is_rate = bool(_RATE_INDICATOR_RE.search(name))
    if amounts and rates and is_rate:
        return None  # a rate with an amount: which is which is not clear from the cells
    reasons: list[str] = []
    draft: _Draft
    if amounts:
        cell, match = amounts[0]
        unit, multiplier = match["unit"] or "", match["multiplier"] or ""
        if not unit and multiplier:
            if not _MONEY_NAME_RE.search(name):
                return None
            unit = "元"  # 96.2亿 in a column headed 亿元, the header lost
            reasons.append(_MONEY_UNIT_REASON)
        value = scale_value(float(match["number"].replace(",", "")), multiplier)
        quantity = _Quantity(cell.start, cell.end, cell.start, cell.end, match["number"], multiplier, unit, value, None)
        draft = _Draft(
            "level", name, value, unit, (cell.start, cell.end), None, cell.start, 0, len(normalised), quantity=quantity
        )
        if rates:
            draft.growth = rates[0][1]
    elif rates:
        cell, rate = rates[0]
        quantity = _Quantity(cell.start, cell.end, cell.start, cell.end, cell.text.strip("%+-"), "", "%", rate, None)
        kind = "level" if is_rate else "growth"
        draft = _Draft(
            kind, name, rate, "%", (cell.start, cell.end), None, cell.start, 0, len(normalised), quantity=quantity
        )
        draft.growth = None if is_rate else rate
        if target is not None and target.unit == "%":
            draft.target, draft.target_text, draft.target_basis = target.value, target.value_text, "stated"
    else:
        cell, rank_number = rank
        draft = _Draft(
            "rank", name, float(rank_number), "位次", (cell.start, cell.end), None, cell.start, 0, len(normalised)
        )
    if rank is not None:
        draft.rank, draft.scope = rank[1], None
        reasons.append(_ROW_RANK_REASON)
    if any(cell.footnote for cell in cells):
        reasons.append(_FOOTNOTE_REASON)
    draft.doubt = "；".join(reasons) or None
    draft.span_end = len(normalised.rstrip("； 。"))  # the whole row, footnote marks included
    return [draft], offsets


# ---------------------------------------------------------------- entry points


_TITLE_LEAD_RE = re.compile(r"^(?:确保|力争|争取|全年|全力|努力|实现|完成|推进|加快|推动)+")


def title_subject(title: str) -> str:
    """What a short goal title measures ("地区生产总值 | 8%左右" → 地区生产总值), or ""."""
    first = re.match(r"[^，。；：！？\n]*", _normalize(title)[0]).group()
    first = re.split(r"(?:同比|比上年)?(?:增长|增速|增幅|下降|达到|控制在|达|为)|\d", first)[0]
    first = _TITLE_LEAD_RE.sub("", first).strip("（）、 ")
    return first if 2 <= len(first) <= 15 and _has_words(first) else ""


def _extract(text: str, subject: str = "") -> tuple[list[_Draft], list[int]]:
    normalised, offsets = _normalize(text)
    labels = [match.span() for match in _LABEL_RE.finditer(normalised)]
    ranges = [(match.start(), match.end()) for match in _RANGE_RE.finditer(normalised)]
    ranks = _find_ranks(normalised, labels)
    qtys = _find_quantities(normalised, labels + ranges + [(rank.start, rank.end) for rank in ranks])
    parens = [match.span() for match in re.finditer(r"（[^（）]*）", normalised) if re.search(r"\d", match.group())]
    walker = _Walker(normalised, parens, subject)
    tokens = sorted(ranks + qtys, key=lambda token: token.start)
    drafts: list[_Draft] = []
    sentence_start = 0
    for sentence_end in [pos + 1 for pos, char in enumerate(normalised) if char in _SENTENCE] + [len(normalised)]:
        sentence_tokens = [token for token in tokens if sentence_start <= token.start < sentence_end]
        if sentence_tokens:
            drafts.extend(walker.sentence(sentence_tokens, sentence_start, sentence_end))
        sentence_start = sentence_end
    drafts = _join_later_ranks(drafts, normalised)
    # 较序时进度快8.8个百分点, 序时进度为50%: where the work stands against the time elapsed (the
    # lights read it from the narrative), not a figure of the goal.
    drafts = [draft for draft in drafts if not _TIME_ELAPSED_RE.search(draft.name)]
    drafts = _pair_target_and_done(drafts, normalised, subject)
    for draft in drafts:
        _finish_targets(draft)
    drafts.sort(key=lambda draft: draft.anchor)
    return drafts, offsets


_TIME_ELAPSED_RE = re.compile(TIME_PROGRESS)
# A target and its result side by side, as a form writes them: 目标值：1.5万户，完成值：0.9万户.
_TARGET_ONLY_RE = re.compile(r"(?:^|[，；。、\s])(?:年度|全年)?目标(?:值|数|任务)?[：:]?\s*$")
_DONE_ONLY_RE = re.compile(r"^[，；、\s]*(?:实际)?完成(?:值|数|量|情况)?[：:]?\s*$")


def _pair_target_and_done(drafts: list[_Draft], normalised: str, subject: str) -> list[_Draft]:
    """目标1.5万户，完成0.9万户: the first is the second's target, and the second is of what the goal's
    title names (its subject), not a figure named 完成目标. Only next to each other in one sentence,
    with the same unit, and with a subject to name it by."""
    if not subject:
        return drafts
    kept: list[_Draft] = []
    for draft in drafts:
        before = kept[-1] if kept else None
        if (
            before is not None
            and draft.kind == before.kind == "level"
            and draft.unit == before.unit
            and before.quantity is not None
            and draft.quantity is not None
            and _TARGET_ONLY_RE.search(normalised[max(0, before.quantity.start - 8) : before.quantity.start])
            and _DONE_ONLY_RE.match(normalised[before.quantity.end : draft.quantity.start])
        ):
            draft.name, draft.doubt = subject, None
            draft.target, draft.target_text, draft.target_basis = before.value, None, "stated"
            kept[-1] = draft  # the target is the figure's, not a figure of its own
            continue
        kept.append(draft)
    return kept


# A sum of money "completed" (收入完成, 投资完成) is the sum: the verb is not part of its name.
_MONEY_DONE_RE = re.compile(r"(?<=[\u4e00-\u9fff]{2})(?:累计)?完成$")
_RANK_SUBJECT_NOISE_RE = re.compile(r"我市|全市|本市|我区|我县|增幅|增速|指标|处于|继续|保持|仍|排名|位次|预计")
_LATER_RANK_GAP = 60
# A rank's name that says only which aspect of a figure, in which basis, is ranked (增幅, 两种口径增速 …).
_ASPECT_ONLY_RE = re.compile(
    r"(?:(?:自然口径|同口径|可比口径|按可比价|两种口径|两个口径|[和及与、])*(?:增幅|增速|总量|总额|规模))+"
)


def _join_later_ranks(drafts: list[_Draft], normalised: str) -> list[_Draft]:
    """一般公共预算收入182.44亿元…。预计我市一般公共预算增幅处于全省第三: a rank stated in a later
    sentence about the same figure is that figure's rank, not a figure of its own."""
    kept: list[_Draft] = []
    for draft in drafts:
        if draft.kind == "rank" and not draft.doubt:
            subject = _RANK_SUBJECT_NOISE_RE.sub("", draft.name)
            earlier = [
                other
                for other in kept
                if other.kind == "level"
                and other.rank is None
                and not other.secondary
                and 0 <= draft.span_start - other.span_end <= _LATER_RANK_GAP
                and len(subject) >= 3
                and _similar(subject, other.name) >= 0.6
            ]
            nearest = next((other for other in reversed(kept) if other.kind == "level" and not other.secondary), None)
            if (
                not earlier
                and nearest is not None
                and nearest.rank is None
                and 0 <= draft.span_start - nearest.span_end <= _LATER_RANK_GAP
                and any(char in _SENTENCE for char in normalised[nearest.span_end : draft.span_start])
                and _ASPECT_ONLY_RE.fullmatch(draft.name)
                and (nearest.growth is not None or not re.search("增幅|增速", draft.name))
            ):
                # 收入120.23亿元，增长3.5%…；自然口径和同口径增幅均为全省第一: the rank of an aspect of the
                # figure just before, in whatever basis, is that figure's rank.
                earlier = [nearest]
            if len(earlier) == 1:
                target = earlier[0]
                target.rank, target.scope, target.top_n = draft.rank, draft.scope, draft.top_n
                target.span_end = max(target.span_end, draft.span_end)
                continue
        kept.append(draft)
    return kept


def _higher_is_better(draft: _Draft) -> bool:
    if draft.qualifier in _CEILING_QUALS or draft.lowered:
        return False
    return not (_BAD_RE.search(draft.name) and not _REDUCTION_RE.search(draft.name))


_NO_UNIT = "数值未注明单位"
_VAGUE_NAME_RE = re.compile(
    r"^(?:数值|排名|增长|增幅|增速|提升幅度|幅度|总量|总数|数量|区本级|市本级|县本级|本级|地块|项目|完成|"
    r"完成全年计划|完成全年目标|完成年度目标|完成目标|全年计划|年度目标|目标任务|任务)$"
)
_NAME_PART_RE = re.compile(r"^[\u4e00-\u9fff]")


def _doubt(draft: _Draft, normalised: str) -> str | None:
    """Why a figure needs a person's check, or None."""
    if draft.doubt:
        return draft.doubt
    if not _has_words(draft.name) or _VAGUE_NAME_RE.match(re.sub(r"已?完成$", "", draft.name)):
        return "名称未说明计量内容，请补全"
    quantity = draft.quantity
    if (
        quantity is not None
        and not quantity.number[0].isdigit()
        and _NAME_PART_RE.match(normalised[quantity.end : quantity.end + 1])
    ):
        return "中文数字后紧接名词，可能是名称的一部分（如“两张清单”）"
    if quantity is not None and quantity.multiplier and not quantity.unit and draft.kind == "level":
        return _NO_UNIT
    return None


# Amounts of money that tables write without 元 (a cell "96.2亿" under a header 绝对值（亿元）, the
# header lost in the import): the unit is read from the goal's name, and the figure is left to check.
_MONEY_NAME_RE = re.compile(r"收入|投资|总值|资金|税|预算|增加值|营收|销售额|零售总额|产值|支出|贷款|存款|融资|债券")


def _to_figure(draft: _Draft, text: str, offsets: list[int], normalised: str) -> Figure:
    reason = _doubt(draft, normalised)
    unit = draft.unit
    if (
        draft.kind == "level"
        and draft.quantity is not None
        and draft.quantity.multiplier
        and not draft.unit
        and draft.doubt == _FALLBACK_NAME  # a bare table cell ("96.2亿"), named after the goal
        and _MONEY_NAME_RE.search(draft.name)
    ):
        unit = "元"
        reason = reason if reason and reason != _NO_UNIT else "原文未写单位，按名称推定为元"
    start, end = offsets[draft.span_start], offsets[draft.span_end - 1] + 1
    value_start, value_end = offsets[draft.value_span[0]], offsets[draft.value_span[1] - 1] + 1
    return Figure(
        name=draft.name,
        value=draft.value,
        unit=unit,
        value_text=text[value_start:value_end],
        qualifier=draft.qualifier,
        target=draft.target,
        target_text=draft.target_text,
        completion_pct=draft.completion,
        growth_pct=draft.growth,
        rank=draft.rank,
        rank_scope=(draft.scope or "未注明") if draft.rank is not None else None,
        rank_is_top_n=draft.top_n,
        higher_is_better=_higher_is_better(draft),
        quote=text[start:end],
        start=start,
        end=end,
        target_basis=draft.target_basis,
        confidence="low" if reason else "high",
        confidence_reason=reason,
        is_forecast=bool(_FORECAST_RE.search(text[start:end])),
    )


def extract_figures(text: str, title: str = "") -> list[Figure]:
    """All figures stated in a narrative, in order of appearance; title targets fill `target`."""
    row = _indicator_row(text, title)
    if row is not None:
        drafts, offsets = row
    else:
        drafts, offsets = _extract(text, title_subject(title) if title else "")
        if title:
            _apply_title(drafts, title)
    normalised = _normalize(text)[0]
    return [_to_figure(draft, text, offsets, normalised) for draft in drafts]


def title_target(title: str) -> list[TitleTarget]:
    """Targets stated in a goal title ("全年为企业减负200亿元以上" → level 2e10 元, qualifier 以上).

    An indicator-table title ("地区生产总值 | 8%左右") names its one target after the indicator."""
    heading = _indicator_title(title)
    if heading is not None and heading[1] is not None:
        return [heading[1]]
    body = re.sub(r"\s*\n\s*", "", re.sub(r"^\s*\d{1,2}\s*[.．、]\s*(?=\D)", "", title))
    drafts, offsets = _extract(body)
    out: list[TitleTarget] = []
    for draft in drafts:
        written = body[offsets[draft.value_span[0]] : offsets[draft.value_span[1] - 1] + 1]
        if draft.kind == "rank":
            out.append(TitleTarget(draft.name, draft.value, "位次", written, None, "rank", draft.scope, draft.top_n))
            continue
        kind = "growth" if draft.kind == "growth" else "level"
        ceiling = draft.qualifier in _CEILING_QUALS or draft.lowered
        out.append(TitleTarget(draft.name, draft.value, draft.unit, written, draft.qualifier, kind, ceiling=ceiling))
        if draft.rank is not None:
            rank_text = ("前" if draft.top_n else "第") + str(draft.rank)
            out.append(
                TitleTarget(draft.name, float(draft.rank), "位次", rank_text, None, "rank", draft.scope, draft.top_n)
            )
    return out


__all__ = ["Figure", "TitleTarget", "extract_figures", "title_target"]
