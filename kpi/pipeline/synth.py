"""A synthetic data set with exactly the Parquet contract of ``data/``, at any size.

    python -m kpi.synth --out DIR --departments N --years Y [--seed S]

It stands in for a province's worth of departments over several years, so the
dashboard can be measured at scale (``bench/``, ``docs/performance.md``). The
shapes follow the real 2022 source: about five numbered goals per department
and year, several figures per goal written the way the source writes them
(``2.89万套``, ``235.4亿元``, ``居全省第2``), a status mix that the status rules
would also infer from the narrative, completion rates around 100%, provincial
ranks 1–11 and the real theme table. Every ``quote`` is a fragment of its
goal's narrative, so every figure is traceable exactly as in the real data.

Every year is reported four times (一季度, 上半年, 前三季度, 全年, ``PERIODS``): the running
periods repeat each goal (same ``goal_key``) with its headline figure prorated to the time
elapsed and short of the year's target, a running status, and a rank that may move by one.
Targets come from the goal texts (``kpi.pipeline.targets``), lights by the rules of
``kpi.pipeline.lights`` (column-wise for goals whose text states no number, checked against
``decide_light`` by the tests).

Generation is vectorised (NumPy draws, Polars string building): 5,000
departments over 10 years (a million goal rows, 1.7 million figures over the four
periods) take about a minute; the contract's checks when writing take longer.
The same arguments and seed always give the same tables, row for row.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from kpi.contract.schema import TABLES, ContractError, Dataset
from kpi.contract.storage import DEFAULT_DATA_DIR, write_dataset
from kpi.contract.vocab import FULL_YEAR, LIGHT_SEVERITY, STATUS_LABELS_ZH, time_progress_pct
from kpi.pipeline.build import targets_of_rows
from kpi.pipeline.lights import NO_MEASURE_REASON, decide_light, load_thresholds, percent_text
from kpi.pipeline.periods import default_source_title, period_row
from kpi.pipeline.targets import parse_goal_targets

LAST_YEAR = 2022  # the real source's year; synthetic years end here
# Every year is reported four times: the running quarters carry each goal's headline figure
# (its first), prorated to the time elapsed; 全年 carries every figure.
PERIODS: tuple[str, ...] = ("Q1", "H1", "Q1-3", FULL_YEAR)
# The status a goal reports in a running period, by its full-year status.
RUNNING_STATUS = {
    "exceeded": "achieved",
    "achieved": "achieved",
    "on_track": "on_track",
    "pending": "on_track",
    "at_risk": "at_risk",
    "not_met": "at_risk",
}
RUNNING_SENTENCES = {
    "achieved": ("各项工作按序时推进。", "叙述报告了已取得的成果，未见风险、待验收或预期表述"),
    "on_track": ("有望完成全年目标。", "叙述称有望或预计完成：「有望」"),
    "at_risk": ("受外部环境影响，完成全年目标难度较大。", "叙述称完成难度较大或增长乏力：「难度较大」"),
}
MAX_DEPARTMENTS = 100_000
MAX_YEARS = 50

# --- fixed tables ----------------------------------------------------------------------

# The real theme table (data/curation/themes.csv), copied so the generator does
# not change when curation does; keywords shortened to the most telling ones.
THEMES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("digital", "数字化改革", "Digital reform", ("数字化", "数智", "一体化平台", "浙政钉")),
    ("common_prosperity", "共同富裕", "Common prosperity", ("共同富裕", "共富", "收入倍差", "中等收入")),
    ("economy", "经济发展", "Economic growth", ("工业增加值", "财政", "减负", "专精特新")),
    ("investment", "项目投资", "Projects and investment", ("投资", "重大项目", "债券", "开工")),
    ("livelihood", "民生保障", "People's livelihood", ("民生", "住房", "就业", "医疗")),
    ("rural", "乡村振兴", "Rural revitalisation", ("乡村", "农村", "粮食", "农田")),
    ("ecology", "生态文明", "Ecological civilisation", ("生态", "绿色", "垃圾", "低碳")),
    ("culture", "文化文艺", "Culture and the arts", ("文化", "文艺", "档案", "展览")),
    ("safety", "安全稳定", "Safety and stability", ("安全", "风险", "应急", "平安")),
    ("urban", "城乡建设与交通", "Urban development and transport", ("城市更新", "交通", "铁路", "公交")),
    ("talent", "人才与技能", "Talent and skills", ("人才", "技能", "培训", "工匠")),
)
THEME_IDS = [theme[0] for theme in THEMES]

SECTORS: tuple[str, ...] = ("群团组织", "综合经济", "城乡建设", "农业农村", "社会事业")

# (slug, short name, full name, sector, default theme) — the kinds of department a
# Zhejiang city or county has; the short names follow the source (市财政局, 市残联).
BUREAUS: tuple[tuple[str, str, str, str, str], ...] = (
    ("women_federation", "妇联", "妇女联合会", "群团组织", "livelihood"),
    ("trade_unions", "总工会", "总工会", "群团组织", "livelihood"),
    ("disabled_persons", "残联", "残疾人联合会", "群团组织", "livelihood"),
    ("red_cross", "红十字会", "红十字会", "群团组织", "livelihood"),
    ("literature_art", "文联", "文学艺术界联合会", "群团组织", "culture"),
    ("youth_league", "团委", "共青团委员会", "群团组织", "talent"),
    ("science_association", "科协", "科学技术协会", "群团组织", "talent"),
    ("industry_commerce", "工商联", "工商业联合会", "群团组织", "economy"),
    ("development_reform", "发展改革委", "发展和改革委员会", "综合经济", "economy"),
    ("finance", "财政局", "财政局", "综合经济", "economy"),
    ("economy_it", "经信局", "经济和信息化局", "综合经济", "economy"),
    ("statistics", "统计局", "统计局", "综合经济", "digital"),
    ("commerce", "商务局", "商务局", "综合经济", "economy"),
    ("market_regulation", "市场监管局", "市场监督管理局", "综合经济", "safety"),
    ("audit", "审计局", "审计局", "综合经济", "economy"),
    ("big_data", "大数据局", "大数据发展管理局", "综合经济", "digital"),
    ("science_tech", "科技局", "科学技术局", "综合经济", "talent"),
    ("financial_affairs", "金融办", "地方金融监督管理局", "综合经济", "economy"),
    ("investment_promotion", "投促中心", "投资促进中心", "综合经济", "investment"),
    ("state_assets", "国资委", "国有资产监督管理委员会", "综合经济", "investment"),
    ("government_affairs", "机关事务局", "机关事务管理局", "综合经济", "economy"),
    ("housing_construction", "建设局", "住房和城乡建设局", "城乡建设", "urban"),
    ("natural_resources", "自然资源和规划局", "自然资源和规划局", "城乡建设", "urban"),
    ("transport", "交通运输局", "交通运输局", "城乡建设", "urban"),
    ("ecology_environment", "生态环境局", "生态环境局", "城乡建设", "ecology"),
    ("water_resources", "水利局", "水利局", "城乡建设", "safety"),
    ("law_enforcement", "综合执法局", "综合行政执法局", "城乡建设", "urban"),
    ("emergency", "应急管理局", "应急管理局", "城乡建设", "safety"),
    ("housing_fund", "公积金中心", "住房公积金管理中心", "城乡建设", "livelihood"),
    ("port_shipping", "港航中心", "港航管理中心", "城乡建设", "urban"),
    ("civil_defence", "人防办", "人民防空办公室", "城乡建设", "safety"),
    ("agriculture_rural", "农业农村局", "农业农村局", "农业农村", "rural"),
    ("forestry", "林业局", "林业局", "农业农村", "ecology"),
    ("supply_marketing", "供销社", "供销合作社联合社", "农业农村", "rural"),
    ("rural_revitalisation", "乡村振兴局", "乡村振兴局", "农业农村", "common_prosperity"),
    ("grain_reserves", "粮食物资局", "粮食和物资储备局", "农业农村", "rural"),
    ("archives", "档案馆", "档案馆", "社会事业", "culture"),
    ("education", "教育局", "教育局", "社会事业", "talent"),
    ("health", "卫生健康委", "卫生健康委员会", "社会事业", "livelihood"),
    ("civil_affairs", "民政局", "民政局", "社会事业", "livelihood"),
    ("human_resources", "人力社保局", "人力资源和社会保障局", "社会事业", "talent"),
    ("culture_tourism", "文化广电旅游局", "文化广电旅游局", "社会事业", "culture"),
    ("sports", "体育局", "体育局", "社会事业", "culture"),
    ("medical_security", "医保局", "医疗保障局", "社会事业", "livelihood"),
    ("veterans", "退役军人事务局", "退役军人事务局", "社会事业", "livelihood"),
    ("public_security", "公安局", "公安局", "社会事业", "safety"),
    ("justice", "司法局", "司法局", "社会事业", "safety"),
    ("ethnic_religion", "民宗局", "民族宗教事务局", "社会事业", "culture"),
    ("petitions", "信访局", "信访局", "社会事业", "safety"),
    ("media_centre", "融媒体中心", "融媒体中心", "社会事业", "culture"),
    ("meteorology", "气象局", "气象局", "社会事业", "safety"),
)

# The 11 cities of Zhejiang (ranks 1–11 are ranks among them) and their counties.
CITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("huzhou", "湖州市", ("吴兴区", "南浔区", "德清县", "长兴县", "安吉县")),
    (
        "hangzhou",
        "杭州市",
        (
            "上城区",
            "拱墅区",
            "西湖区",
            "滨江区",
            "萧山区",
            "余杭区",
            "临平区",
            "钱塘区",
            "富阳区",
            "临安区",
            "桐庐县",
            "淳安县",
            "建德市",
        ),
    ),
    (
        "ningbo",
        "宁波市",
        ("海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "余姚市", "慈溪市", "象山县", "宁海县"),
    ),
    (
        "wenzhou",
        "温州市",
        (
            "鹿城区",
            "龙湾区",
            "瓯海区",
            "洞头区",
            "瑞安市",
            "乐清市",
            "龙港市",
            "永嘉县",
            "平阳县",
            "苍南县",
            "文成县",
            "泰顺县",
        ),
    ),
    ("jiaxing", "嘉兴市", ("南湖区", "秀洲区", "海宁市", "平湖市", "桐乡市", "嘉善县", "海盐县")),
    ("shaoxing", "绍兴市", ("越城区", "柯桥区", "上虞区", "诸暨市", "嵊州市", "新昌县")),
    ("jinhua", "金华市", ("婺城区", "金东区", "兰溪市", "义乌市", "东阳市", "永康市", "武义县", "浦江县", "磐安县")),
    ("quzhou", "衢州市", ("柯城区", "衢江区", "江山市", "常山县", "开化县", "龙游县")),
    ("zhoushan", "舟山市", ("定海区", "普陀区", "岱山县", "嵊泗县")),
    ("taizhou", "台州市", ("椒江区", "黄岩区", "路桥区", "临海市", "温岭市", "玉环市", "三门县", "天台县", "仙居县")),
    (
        "lishui",
        "丽水市",
        ("莲都区", "龙泉市", "青田县", "缙云县", "遂昌县", "松阳县", "云和县", "庆元县", "景宁畲族自治县"),
    ),
)


@dataclass(frozen=True)
class Metric:
    """A kind of figure: the words before the number, what it measures, how it is written."""

    head: str  # the narrative's words just before the number
    name: str  # the indicator's name
    unit: str
    scale: float  # 1, 1e4 (万) or 1e8 (亿): the number is written in these units
    low: float
    high: float
    decimals: int
    higher_is_better: bool = True


# Per sector: (title, lead-in sentence, theme) of a goal, and the figures its narrative may state.
TOPICS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "群团组织": (
        ("美丽庭院扩面提质", "深化美丽庭院创建", "ecology"),
        ("家庭教育精准服务", "开好“家庭优教”共富班车", "livelihood"),
        ("深化权益维护关爱", "高标准完成“平安家庭”建设任务", "safety"),
        ("开展职工岗位建功大竞赛行动", "聚焦重点工程开展立功竞赛", "talent"),
        ("助企纾困服务发展", "出台助企纾困“三送九条”", "economy"),
        ("推进数字化改革大落实", "迭代升级数字应用平台", "digital"),
        ("开展主题宣讲实践", "开展“六进”主题宣讲", "culture"),
        ("深化基层组织建设", "选树优秀组织和先进典型", "talent"),
    ),
    "综合经济": (
        ("全力攻坚“十百千万”重大项目", "加快推进重大项目建设", "investment"),
        ("聚焦收入可持续增长，提升财政赶超实力", "建立收入会商机制，注重收入量质并举", "economy"),
        ("规上工业增加值同比增长8.5%", "开展项目比拼督查，全力扩大有效投资", "economy"),
        ("全年为企业减负200亿元以上", "全力推进助企纾困稳进提质攻坚", "economy"),
        ("新增专精特新“小巨人”企业20家以上", "深化“冠军领航”攻坚", "economy"),
        ("迭代升级“统计大脑”", "贯通预算管理“一体化”系统", "digital"),
        ("打造共同富裕基本单元", "实施居民收入十年倍增计划", "common_prosperity"),
        ("聚焦风险防范化解，提升统筹管控能力", "多举措兜牢“三保”底线", "safety"),
    ),
    "城乡建设": (
        ("全力开展城市更新", "深入推进城市有机更新", "urban"),
        ("生活垃圾分类争当全国示范", "全域推进生活垃圾分类", "ecology"),
        ("住房保障惠民", "扩大保障性住房供给", "livelihood"),
        ("全力建设“轨道上的湖州”", "加快综合交通网络建设", "urban"),
        ("建筑业高质量发展", "推进建筑业转型升级", "economy"),
        ("守牢安全生产底线", "深化安全生产专项整治", "safety"),
        ("推进国土空间整治", "实施全域土地综合整治", "urban"),
        ("打造绿色低碳发展样板", "推进生态环境质量提升", "ecology"),
    ),
    "农业农村": (
        ("持续推进乡村振兴走在前列", "深化“千万工程”", "rural"),
        ("保障粮食安全", "落实粮食安全党政同责", "rural"),
        ("推进强村富民", "实施强村富民乡村集成改革", "common_prosperity"),
        ("建设高标准农田", "推进农田“非粮化”整治", "rural"),
        ("打造未来农场", "推进农业数字化转型", "digital"),
        ("推进国土绿化美化", "实施新增百万亩国土绿化行动", "ecology"),
        ("培育新型职业农民", "开展农民素质提升培训", "talent"),
    ),
    "社会事业": (
        ("推进档案数字化改革", "完成全省档案数字化改革重大应用试点任务", "digital"),
        ("加大馆藏档案开放力度", "完善档案开放审核与公布机制", "culture"),
        ("办好人民满意教育", "推进教育优质均衡发展", "talent"),
        ("推进健康湖州建设", "深化医药卫生体制改革", "livelihood"),
        ("稳就业保民生", "落实就业优先政策", "livelihood"),
        ("繁荣文化旅游", "举办文化惠民活动", "culture"),
        ("建设更高水平平安湖州", "深化平安建设", "safety"),
        ("兜牢基本民生底线", "完善社会救助体系", "livelihood"),
    ),
}

_W, _Y = 1e4, 1e8
METRICS: dict[str, tuple[Metric, ...]] = {
    "群团组织": (
        Metric("新建成省级美丽庭院示范村", "省级美丽庭院示范村", "个", 1, 3, 40, 0),
        Metric("建成区县级以上示范家长学校", "示范家长学校", "家", 1, 20, 300, 0),
        Metric("建立重点家庭档案", "重点家庭档案", "份", 1, 1000, 9000, 0),
        Metric("落实资金", "落实资金", "元", _W, 100, 3000, 0),
        Metric("帮扶", "帮扶人次", "人次", _W, 0.5, 5, 2),
        Metric("开展职工技能竞赛", "职工技能竞赛", "场", 1, 20, 200, 0),
        Metric("培训妇女", "培训人次", "人次", 1, 1000, 20000, 0),
        Metric("职工医疗互助参保达到", "医疗互助参保", "人次", _W, 10, 90, 1),
        Metric("开展志愿服务", "志愿服务", "场次", 1, 50, 400, 0),
        Metric("省级重点工程立功竞赛覆盖率达到", "立功竞赛覆盖率", "%", 1, 60, 100, 0),
        Metric("选树最美家庭", "最美家庭", "户", 1, 50, 300, 0),
        Metric("新建工会户外劳动者服务站点", "户外劳动者服务站点", "家", 1, 10, 90, 0),
    ),
    "综合经济": (
        Metric("完成固定资产投资", "固定资产投资", "元", _Y, 200, 2500, 1),
        Metric("财政总收入", "财政总收入", "元", _Y, 100, 900, 1),
        Metric("累计为企业减负", "为企业减负", "元", _Y, 20, 300, 1),
        Metric("新增国家专精特新“小巨人”", "专精特新“小巨人”", "家", 1, 5, 60, 0),
        Metric("规上工业增加值", "规上工业增加值", "元", _Y, 500, 3000, 1),
        Metric("2年内立项项目开工率", "立项项目开工率", "%", 1, 60, 100, 1),
        Metric("税占比达", "税占比", "%", 1, 70, 95, 1),
        Metric("新发行政府债券", "新发行政府债券", "元", _Y, 50, 400, 2),
        Metric("留抵退税", "留抵退税", "元", _Y, 20, 200, 1),
        Metric("成功归集政策", "归集政策", "条", 1, 500, 4000, 0),
        Metric("企业开办时间压缩至", "企业开办时间", "小时", 1, 1, 8, 1, False),
        Metric("城乡居民收入倍差缩小至", "城乡居民收入倍差", "", 1, 1.5, 2.1, 2, False),  # a bare ratio: no unit
        Metric("争取预支土地指标", "预支土地指标", "亩", 1, 800, 8000, 0),
        Metric("兑付时间平均缩短", "兑付时间缩短", "天", 1, 5, 40, 0),
    ),
    "城乡建设": (
        Metric("新增绿道", "新增绿道", "公里", 1, 10, 120, 1),
        Metric("新改建绿地面积", "新改建绿地面积", "平方米", _W, 20, 200, 1),
        Metric("筹集保障性租赁住房", "保障性租赁住房", "套", _W, 0.5, 5, 2),
        Metric("处置危房", "处置危房", "幢", 1, 50, 500, 0),
        Metric("完成交通投资", "交通投资", "元", _Y, 50, 400, 1),
        Metric("建筑业总产值", "建筑业总产值", "元", _Y, 300, 3000, 1),
        Metric("生活垃圾回收利用率达到", "生活垃圾回收利用率", "%", 1, 50, 70, 1),
        Metric("新开通公交线路", "新开通公交线路", "条", 1, 3, 40, 0),
        Metric("改造老旧小区", "老旧小区改造", "个", 1, 10, 150, 0),
        Metric("安全生产事故起数下降至", "安全生产事故起数", "起", 1, 5, 60, 0, False),
        Metric("完成全域土地综合整治", "土地综合整治", "亩", _W, 1, 40, 2),
        Metric("新增公共充电桩", "公共充电桩", "个", 1, 200, 3000, 0),
    ),
    "农业农村": (
        Metric("粮食播种面积", "粮食播种面积", "亩", _W, 50, 150, 2),
        Metric("建成高标准农田", "高标准农田", "亩", _W, 1, 20, 2),
        Metric("农村居民人均可支配收入", "农村居民人均可支配收入", "元", _W, 3, 5, 2),
        Metric("培育未来农场", "未来农场", "家", 1, 3, 30, 0),
        Metric("完成新增造林", "新增造林", "亩", _W, 0.5, 5, 2),
        Metric("村级集体经济经营性收入50万元以上行政村占比达", "集体经济达标村占比", "%", 1, 60, 100, 1),
        Metric("培训高素质农民", "培训高素质农民", "人", 1, 500, 5000, 0),
        Metric("整治“非粮化”耕地", "“非粮化”整治", "亩", _W, 1, 40, 2),
        Metric("创建美丽乡村精品村", "美丽乡村精品村", "个", 1, 5, 60, 0),
        Metric("农产品抽检合格率", "农产品抽检合格率", "%", 1, 97, 100, 1),
        Metric("低收入农户人均可支配收入", "低收入农户人均可支配收入", "元", _W, 1.2, 2.5, 2),
    ),
    "社会事业": (
        Metric("全年完成档案开放审核", "档案开放审核", "件", 1, 20000, 200000, 0),
        Metric("征集档案", "征集档案", "件", 1, 300, 5000, 0),
        Metric("新建改扩建中小学", "新建改扩建中小学", "所", 1, 5, 40, 0),
        Metric("新增城镇就业", "新增城镇就业", "人", _W, 1, 12, 2),
        Metric("城镇调查失业率控制在", "城镇调查失业率", "%", 1, 2.5, 5.5, 1, False),
        Metric("举办文化惠民活动", "文化惠民活动", "场次", 1, 200, 3000, 0),
        Metric("接待游客", "接待游客", "人次", _W, 500, 9000, 1),
        Metric("建成城市书房", "城市书房", "家", 1, 5, 60, 0),
        Metric("每千人口拥有执业（助理）医师", "每千人口执业医师", "人", 1, 2.8, 4.5, 2),
        Metric("刑事案件发案数下降至", "刑事案件发案数", "起", 1, 500, 5000, 0, False),
        Metric("发放救助资金", "救助资金", "元", _Y, 0.5, 6, 2),
        Metric("开展红色研学实践", "红色研学实践", "场", 1, 2, 60, 0),
    ),
}

# How often each status occurs, and the sentence that says it (the status rules of
# kpi.pipeline.status infer the same status from the narrative).
STATUS_MIX: dict[str, float] = {
    "exceeded": 0.26,
    "achieved": 0.44,
    "on_track": 0.12,
    "pending": 0.05,
    "at_risk": 0.08,
    "not_met": 0.05,
}
STATUS_SENTENCES: dict[str, tuple[str, str]] = {
    "exceeded": ("超额完成年度目标。", "叙述称超额或提前完成：「超额完成」"),
    "achieved": ("全面完成年度各项任务。", "叙述报告了已取得的成果，未见风险、待验收或预期表述"),
    "on_track": ("有望完成全年目标。", "叙述称有望或预计完成：「有望」"),
    "pending": ("各项工作已完成，等待省级部门验收。", "叙述称正在等待验收：「等待省级部门验收」"),
    "at_risk": ("受外部环境影响，完成年度目标难度较大。", "叙述称完成难度较大或增长乏力：「难度较大」"),
    "not_met": ("受多重因素影响，未完成年度目标。", "叙述称目标未完成：「未完成」"),
}
# Completion rates (%) stated for a goal's figures, by the goal's status: (low, high).
COMPLETION_RANGE: dict[str, tuple[float, float]] = {
    "exceeded": (100.5, 145.0),
    "achieved": (100.0, 100.0),
    "on_track": (88.0, 99.5),
    "pending": (95.0, 100.0),
    "at_risk": (60.0, 95.0),
    "not_met": (50.0, 95.0),
}
GOALS_PER_YEAR = {3: 0.04, 4: 0.12, 5: 0.68, 6: 0.11, 7: 0.05}  # mean ≈ 5
FIGURES_PER_GOAL = {0: 0.03, 1: 0.07, 2: 0.12, 3: 0.17, 4: 0.2, 5: 0.18, 6: 0.12, 7: 0.07, 8: 0.04}  # mean ≈ 4
SHARE_WITH_TARGET = 0.35
SHARE_WITH_GROWTH = 0.3
SHARE_RANKED = 0.14
RANK_SCOPES = {"全省": 0.86, "全国": 0.05, "全市": 0.05, "全省地级市": 0.04}
PROVINCE_RANK_WEIGHTS = np.array([1 / r for r in range(1, 12)])  # reported ranks skew to the top
TOP_N_WORDS = {2: "二", 3: "三", 5: "五", 10: "十"}


class SynthError(ValueError):
    """Bad arguments or an unwritable output directory (message in Chinese)."""


# --- generation ------------------------------------------------------------------------


def _probabilities(weights: dict) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return p / p.sum()


def _round(numbers: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Round each number to its own number of decimals."""
    factor = 10.0**decimals
    return np.round(numbers * factor) / factor


def _choice(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    return np.array(list(weights))[rng.choice(len(weights), size=size, p=_probabilities(weights))]


def _number_text(numbers: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """How the source writes a number: no trailing zeros, no ``.0`` (2.89, 1774.6, 66)."""
    return (
        pl.when(decimals == 0)
        .then(numbers.round(0).cast(pl.Int64).cast(pl.String))
        .otherwise(numbers.cast(pl.String).str.replace(r"\.0$", ""))
    )


def _departments(count: int) -> pl.DataFrame:
    regions = [(slug, name, name) for slug, name, _ in CITIES]
    for slug, city, counties in CITIES:
        regions += [(f"{slug}{k + 1}", county, city + county) for k, county in enumerate(counties)]
    rows = []
    for index in range(count):
        round_, rest = divmod(index, len(regions) * len(BUREAUS))
        region_slug, region, region_full = regions[rest // len(BUREAUS)]
        slug, short, full, sector, theme = BUREAUS[rest % len(BUREAUS)]
        # Past every region × bureau pair (5,252), a numbered copy keeps ids and names unique.
        suffix_id, suffix_name = (f"_{round_ + 1}", f"（{round_ + 1}）") if round_ else ("", "")
        rows.append(
            {
                "dept_id": f"{region_slug}_{slug}{suffix_id}",
                "name": f"{region}{short}{suffix_name}",
                "full_name": f"{region_full}{full}{suffix_name}",
                "sector": sector,
                "sort_order": index + 1,
                "default_theme": theme,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"sort_order": pl.Int32})


def _metric_frame() -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """All metrics in one frame, with per sector the first metric's index and the count."""
    rows, starts, counts = [], [], []
    for sector in SECTORS:
        starts.append(len(rows))
        counts.append(len(METRICS[sector]))
        rows += [vars(metric) for metric in METRICS[sector]]
    frame = pl.DataFrame(rows).with_row_index("metric").with_columns(pl.col("metric").cast(pl.Int64))
    return frame, np.array(starts), np.array(counts)


def _topic_frame() -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    rows, starts, counts = [], [], []
    for sector in SECTORS:
        starts.append(len(rows))
        counts.append(len(TOPICS[sector]))
        rows += [{"title": t, "lead": lead, "topic_theme": theme} for t, lead, theme in TOPICS[sector]]
    frame = pl.DataFrame(rows).with_row_index("topic").with_columns(pl.col("topic").cast(pl.Int64))
    return frame, np.array(starts), np.array(counts)


def generate(departments: int, years: int, seed: int = 0) -> Dataset:
    """The synthetic data set: ``departments`` departments over ``years`` years ending in 2022."""
    rng = np.random.default_rng(seed)
    depts = _departments(departments)
    sector_index = {s: i for i, s in enumerate(SECTORS)}
    dept_sector = depts.get_column("sector").replace_strict(sector_index, return_dtype=pl.Int64).to_numpy()
    metrics, metric_start, metric_count = _metric_frame()
    topics, topic_start, topic_count = _topic_frame()

    # Department-years, then goals (seq 1..n in each).
    dy_dept = np.repeat(np.arange(departments), years)
    dy_year = np.tile(np.arange(LAST_YEAR - years + 1, LAST_YEAR + 1), departments)
    goals_per = _choice(rng, GOALS_PER_YEAR, dy_dept.size)
    g_dy = np.repeat(np.arange(dy_dept.size), goals_per)
    n_goals = g_dy.size
    g_seq = np.arange(n_goals) - np.repeat(np.cumsum(goals_per) - goals_per, goals_per) + 1
    g_dept = dy_dept[g_dy]
    g_sector = dept_sector[g_dept]
    # Consecutive topics from a random start: the goals of one department-year differ.
    topic_offset = rng.integers(0, 1000, dy_dept.size)[g_dy]
    g_topic = topic_start[g_sector] + (topic_offset + g_seq) % topic_count[g_sector]
    g_status_code = rng.choice(len(STATUS_MIX), size=n_goals, p=_probabilities(STATUS_MIX))
    g_status = np.array(list(STATUS_MIX))[g_status_code]
    g_second_theme = rng.random(n_goals) < 0.35

    # Figures of each goal: consecutive metrics of the sector from a per-goal start.
    figures_per = _choice(rng, FIGURES_PER_GOAL, n_goals)
    i_goal = np.repeat(np.arange(n_goals), figures_per)
    n = i_goal.size
    i_nn = np.arange(n) - np.repeat(np.cumsum(figures_per) - figures_per, figures_per) + 1
    i_sector = g_sector[i_goal]
    metric_offset = rng.integers(0, 1000, n_goals)[i_goal]
    i_metric = metric_start[i_sector] + (metric_offset + i_nn) % metric_count[i_sector]
    low_high = metrics.select("low", "high", "decimals").to_numpy()[i_metric]
    decimals = low_high[:, 2].astype(np.int64)
    number = _round(rng.uniform(low_high[:, 0], low_high[:, 1]), decimals)
    has_target = rng.random(n) < SHARE_WITH_TARGET
    completion_low, completion_high = np.array([COMPLETION_RANGE[s] for s in STATUS_MIX]).T
    status_code = g_status_code[i_goal]
    wanted = rng.uniform(completion_low[status_code], completion_high[status_code])
    target_number = _round(number * 100 / wanted, decimals)
    has_growth = rng.random(n) < SHARE_WITH_GROWTH
    growth = np.round(rng.normal(8.0, 7.0, n), 1)
    growth[growth == 0] = 0.5
    ranked = rng.random(n) < SHARE_RANKED
    rank_scope = _choice(rng, RANK_SCOPES, n)
    rank = rng.choice(11, size=n, p=PROVINCE_RANK_WEIGHTS / PROVINCE_RANK_WEIGHTS.sum()) + 1
    top_n = rng.random(n) < 0.15
    top_n_rank = np.array(list(TOP_N_WORDS))[rng.integers(0, len(TOP_N_WORDS), n)]
    qualifier_draw = rng.random(n)
    connector = rng.random(n) < 0.7  # "，" or "；" between figures

    dept_ids = depts.get_column("dept_id")
    goals = (
        pl.DataFrame(
            {
                "dept": g_dept,
                "year": dy_year[g_dy].astype(np.int32),
                "seq": g_seq.astype(np.int32),
                "topic": g_topic.astype(np.int64),
                "status": g_status,
                "second_theme": g_second_theme,
            }
        )
        .with_columns(
            dept_id=dept_ids.gather(g_dept),
            default_theme=depts.get_column("default_theme").gather(g_dept),
        )
        .with_columns(
            goal_id=pl.concat_str(
                pl.col("year").cast(pl.String), pl.lit("-"), "dept_id", pl.lit("-"), pl.col("seq").cast(pl.String)
            )
        )
    )
    goals = goals.join(topics, on="topic", how="left", maintain_order="left")

    lower_better = ~metrics.get_column("higher_is_better").to_numpy()[i_metric]
    # No target for lower-is-better figures: the source states those as a level reached.
    has_target &= ~lower_better & (target_number > 0)
    target_number = np.where(has_target, target_number, np.nan)
    indicators = pl.DataFrame(
        {
            "goal": i_goal,
            "nn": i_nn,
            "metric": i_metric.astype(np.int64),
            "number": number,
            "decimals": decimals,
            "target_number": target_number,
            "has_growth": has_growth,
            "growth": growth,
            "ranked": ranked,
            "rank_scope": rank_scope,
            "rank": rank.astype(np.int32),
            "top_n": top_n,
            "top_n_rank": top_n_rank,
            "qualifier_draw": qualifier_draw,
            "connector": connector,
        }
    ).join(metrics, on="metric", how="left", maintain_order="left")
    indicators = indicators.with_columns(
        goal_id=goals.get_column("goal_id").gather(i_goal),
        dept_id=goals.get_column("dept_id").gather(i_goal),
        year=goals.get_column("year").gather(i_goal),
        target_number=pl.col("target_number").fill_nan(None),
    )
    goals = goals.with_row_index("goal").with_columns(
        pl.col("goal").cast(pl.Int64),
        period=pl.lit(FULL_YEAR),
        goal_key=pl.col("goal_id"),
        themes=pl.when(pl.col("topic_theme") == pl.col("default_theme"))
        .then(pl.concat_list(pl.col("topic_theme")))
        .when(pl.col("second_theme"))
        .then(pl.concat_list("topic_theme", "default_theme"))
        .otherwise(pl.concat_list(pl.col("topic_theme"))),
    )
    goal_frames = [_narrate(goals, _write_figures(indicators), STATUS_SENTENCES)]
    indicator_frames = [_write_figures(indicators)]
    headline = indicators.filter(pl.col("nn") == 1)
    for period in PERIODS[:-1]:
        fraction = time_progress_pct(period) / 100
        noise = rng.uniform(0.8, 1.15, headline.height)
        period_goals = goals.with_columns(
            period=pl.lit(period),
            goal_id=pl.concat_str(
                pl.col("year").cast(pl.String),
                pl.lit(f"-{period}-"),
                "dept_id",
                pl.lit("-"),
                pl.col("seq").cast(pl.String),
            ),
            status=pl.col("status").replace_strict(RUNNING_STATUS),
        )
        rank_move = rng.integers(-1, 2, headline.height)
        # Prorated to the time elapsed, and short of the year's target (a running tally that
        # already exceeded it would read as 超额完成).
        prorated = headline.get_column("number").to_numpy() * fraction * noise
        ceiling = headline.get_column("target_number").fill_null(np.inf).to_numpy() * 0.99
        decimals = headline.get_column("decimals").to_numpy()
        period_figures = headline.with_columns(
            number=pl.Series(_round(np.minimum(prorated, ceiling), decimals)),
            rank=(pl.col("rank") + pl.Series(rank_move).cast(pl.Int32)).clip(1, 11),  # 11 cities in the province
            goal_id=period_goals.get_column("goal_id").gather(headline.get_column("goal")),
        ).filter(pl.col("number") > 0)
        period_figures = _write_figures(period_figures)
        goal_frames.append(_narrate(period_goals, period_figures, RUNNING_SENTENCES))
        indicator_frames.append(period_figures)
    goals = pl.concat(goal_frames, how="vertical_relaxed")
    indicators = pl.concat(indicator_frames, how="vertical_relaxed")
    goal_targets = _goal_targets(goals)
    goals = _light_goals(goals, indicators, goal_targets)
    periods = pl.DataFrame(
        [
            period_row(
                year,
                period,
                default_source_title(year, period).replace("（导入）", "（合成数据）"),
                f"{year}-{time_progress_pct(period) * 12 // 100:02.0f}",
                load_thresholds(DEFAULT_DATA_DIR / "curation"),  # the ones _light_goals decided with
            )
            for year in range(LAST_YEAR - years + 1, LAST_YEAR + 1)
            for period in PERIODS
        ],
        schema=TABLES["periods"],
    )

    themes = pl.DataFrame(
        [{"theme_id": i, "name": n, "name_en": e, "keywords": list(k)} for i, n, e, k in THEMES],
        schema=TABLES["themes"],
    )
    return Dataset(
        departments=depts.select(list(TABLES["departments"])).cast(TABLES["departments"]),
        goals=goals.select(list(TABLES["goals"])).cast(TABLES["goals"]),
        indicators=indicators.select(list(TABLES["indicators"])).cast(TABLES["indicators"]),
        themes=themes,
        periods=periods,
        goal_targets=goal_targets.select(list(TABLES["goal_targets"])).cast(TABLES["goal_targets"]),
    )


def _narrate(goals: pl.DataFrame, indicators: pl.DataFrame, sentences: dict[str, tuple[str, str]]) -> pl.DataFrame:
    """The goals with their narrative: lead-in, the figures' clauses, the status sentence."""
    narratives = indicators.group_by("goal").agg(figures=pl.col("clause").str.join(""))
    return goals.join(narratives, on="goal", how="left", maintain_order="left").with_columns(
        result=pl.concat_str(
            "lead",
            pl.when(pl.col("figures").is_null())
            .then(pl.lit("。"))
            .otherwise(pl.lit("，") + pl.col("figures") + pl.lit("。")),
            pl.col("status").replace_strict({s: text for s, (text, _) in sentences.items()}),
        ),
        status_reason=pl.col("status").replace_strict({s: why for s, (_, why) in sentences.items()}),
    )


def _goal_targets(goals: pl.DataFrame) -> pl.DataFrame:
    """The targets of every goal's text, parsed once per distinct title (there are few)."""
    rows = []
    for title in goals.get_column("title").unique().sort().to_list():
        for n, t in enumerate(parse_goal_targets(title), start=1):
            rows.append({"title": title, "n": n, **t.row()})
    per_title = pl.DataFrame(rows, schema_overrides={"value": pl.Float64, "value_high": pl.Float64})
    return (
        goals.select("goal_id", "title")
        .join(per_title, on="title", how="inner", maintain_order="left")
        .with_columns(target_id=pl.concat_str("goal_id", pl.lit("-t"), pl.col("n").cast(pl.String).str.zfill(2)))
    )


def _light_goals(goals: pl.DataFrame, indicators: pl.DataFrame, goal_targets: pl.DataFrame) -> pl.DataFrame:
    """Every goal's light by the rules of ``kpi.pipeline.lights``.

    A goal whose text states only milestones is measured by its stated shares (完成年度目标c%)
    and its status alone; that case, nearly every synthetic goal, is computed column-wise here
    (tests check it against ``decide_light``). Goals with a number in their text go through
    ``decide_light`` itself.
    """
    thresholds = load_thresholds(DEFAULT_DATA_DIR / "curation")
    measured_titles = set(goal_targets.filter(pl.col("kind") != "milestone").get_column("title").to_list())
    progress = pl.col("period").replace_strict({p: time_progress_pct(p) for p in PERIODS}, return_dtype=pl.Float64)
    is_fy = pl.col("period") == FULL_YEAR
    shares = indicators.filter(pl.col("completion_pct").is_not_null())
    shares = shares.join(goals.select("goal_id", "period"), on="goal_id", how="inner").with_columns(
        light=pl.when(is_fy)
        .then(
            pl.when(pl.col("completion_pct") >= thresholds["fy_green_share"])
            .then(pl.lit("green"))
            .when(pl.col("completion_pct") >= thresholds["fy_yellow_share"])
            .then(pl.lit("yellow"))
            .otherwise(pl.lit("red"))
        )
        .otherwise(
            pl.when(pl.col("completion_pct") >= progress)
            .then(pl.lit("green"))
            .when(pl.col("completion_pct") >= progress - thresholds["amount_yellow_gap"])
            .then(pl.lit("yellow"))
            .otherwise(pl.lit("red"))
        ),
        reason=pl.concat_str(
            "name",
            "value_text",
            pl.lit("，完成全年目标的"),
            percent_text(pl.col("completion_pct")),
            pl.lit("，时序进度"),
            percent_text(progress),
        ),
    )
    severity = pl.col("light").replace_strict(LIGHT_SEVERITY, return_dtype=pl.Int64)
    per_goal = (
        shares.with_columns(severity=severity)
        .group_by("goal_id", maintain_order=True)
        .agg(
            all_reasons=pl.col("reason").str.join("；"),
            worst=pl.col("severity").max(),
            reasons=pl.struct("severity", "reason"),
        )
        .with_columns(
            worst_reasons=pl.col("reasons")
            .list.eval(
                pl.element()
                .filter(pl.element().struct.field("severity") == pl.element().struct.field("severity").max())
                .struct.field("reason")
            )
            .list.join("；")
        )
        .drop("reasons")
    )
    label = pl.col("status").replace_strict(STATUS_LABELS_ZH)
    status_note = pl.concat_str(pl.lit("叙述称"), label)
    frame = goals.join(per_goal, on="goal_id", how="left", maintain_order="left")
    # Status measures: pending is yellow; a forecast green before 全年, yellow at it.
    status_light = (
        pl.when(pl.col("status") == "pending")
        .then(pl.lit("yellow"))
        .when(pl.col("status") == "on_track")
        .then(pl.when(is_fy).then(pl.lit("yellow")).otherwise(pl.lit("green")))
    )
    status_reason = (
        pl.when(pl.col("status") == "pending")
        .then(pl.concat_str(status_note, pl.lit("（"), "status_reason", pl.lit("）")))
        .when(pl.col("status") == "on_track")
        .then(
            pl.concat_str(
                status_note,
                pl.when(is_fy).then(pl.lit("，全年仍为预期，尚无结果（")).otherwise(pl.lit("，尚在预期之中（")),
                "status_reason",
                pl.lit("）"),
            )
        )
    )
    frame = frame.with_columns(status_light=status_light, status_light_reason=status_reason).with_columns(
        status_severity=pl.col("status_light").replace_strict(LIGHT_SEVERITY, default=None, return_dtype=pl.Int64)
    )
    worst = pl.max_horizontal("worst", "status_severity")
    by_severity = {v: k for k, v in LIGHT_SEVERITY.items()}
    deciding = pl.concat_str(
        pl.when(pl.col("worst") == worst).then(pl.col("worst_reasons")),
        pl.when(pl.col("status_severity") == worst).then(pl.col("status_light_reason")),
        separator="；",
        ignore_nulls=True,
    )
    red_reason = pl.concat_str(
        pl.when(pl.col("all_reasons").is_not_null()).then(pl.col("all_reasons") + pl.lit("；")).otherwise(pl.lit("")),
        status_note,
        pl.lit("（"),
        "status_reason",
        pl.lit("）"),
    )
    frame = frame.with_columns(
        light=pl.when(pl.col("status").is_in(["at_risk", "not_met"]))
        .then(pl.lit("red"))
        .when(worst.is_not_null())
        .then(worst.replace_strict(by_severity, default=None, return_dtype=pl.String))
        .when(is_fy & pl.col("status").is_in(["exceeded", "achieved"]))
        .then(pl.lit("green"))
        .otherwise(pl.lit("none")),
        light_reason=pl.when(pl.col("status").is_in(["at_risk", "not_met"]))
        .then(red_reason)
        .when(worst.is_not_null())
        .then(deciding)
        .when(is_fy & pl.col("status").is_in(["exceeded", "achieved"]))
        .then(pl.concat_str(pl.lit("无可量化的目标，全年叙述报告"), label, pl.lit("（"), "status_reason", pl.lit("）")))
        .otherwise(pl.lit(NO_MEASURE_REASON)),
    )
    if measured_titles:
        frame = _light_by_rules(frame, indicators, goal_targets, measured_titles, thresholds)
    return frame


def _light_by_rules(frame, indicators, goal_targets, titles, thresholds) -> pl.DataFrame:
    """decide_light, goal by goal, for the goals whose text states a number."""
    chosen = frame.filter(pl.col("title").is_in(list(titles)))
    ids = chosen.get_column("goal_id")
    figures: dict[str, list[dict]] = {}
    for row in (
        indicators.filter(pl.col("goal_id").is_in(ids.implode()))
        .select(
            "goal_id",
            "name",
            "unit",
            "value",
            "value_text",
            "target",
            "target_basis",
            "completion_pct",
            "growth_pct",
            "rank",
            "rank_scope",
            "rank_is_top_n",
        )
        .iter_rows(named=True)
    ):
        figures.setdefault(row["goal_id"], []).append(row)
    targets: dict[str, list[dict]] = {}
    for row in goal_targets.filter(pl.col("goal_id").is_in(ids.implode())).iter_rows(named=True):
        targets.setdefault(row["goal_id"], []).append(row)
    lights, reasons = [], []
    for goal in chosen.select("goal_id", "period", "status", "status_reason", "result", "title").iter_rows(named=True):
        light, reason = decide_light(
            title=goal["title"],
            period=goal["period"],
            status=goal["status"],
            status_reason=goal["status_reason"],
            result=goal["result"],
            targets=targets_of_rows(targets.get(goal["goal_id"], [])),
            figures=figures.get(goal["goal_id"], []),
            thresholds=thresholds,
        )
        lights.append(light)
        reasons.append(reason)
    decided = pl.DataFrame({"goal_id": ids, "light_rule": lights, "reason_rule": reasons})
    return (
        frame.join(decided, on="goal_id", how="left", maintain_order="left")
        .with_columns(
            light=pl.coalesce("light_rule", "light"),
            light_reason=pl.coalesce("reason_rule", "light_reason"),
        )
        .drop("light_rule", "reason_rule")
    )


def _scaled(number: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """``2.89`` + ``万`` + unit, as the source writes it (the scale word before the unit)."""
    scale_word = (
        pl.when(pl.col("scale") == 1e8)
        .then(pl.lit("亿"))
        .when(pl.col("scale") == 1e4)
        .then(pl.lit("万"))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(_number_text(number, decimals), scale_word)


def _write_figures(frame: pl.DataFrame) -> pl.DataFrame:
    """value_text, target, completion, growth, rank and the narrative clause (the quote) of every figure."""
    # 余/多 sit inside the figure (1600余场次, 4.35万余户); 超/约 before it; 以上/左右 after it.
    qualifier = (
        pl.when(pl.col("qualifier_draw") < 0.05)
        .then(pl.lit("余"))
        .when(pl.col("qualifier_draw") < 0.07)
        .then(pl.lit("多"))
        .when(pl.col("qualifier_draw") < 0.10)
        .then(pl.lit("超"))
        .when(pl.col("qualifier_draw") < 0.13)
        .then(pl.lit("以上"))
        .when(pl.col("qualifier_draw") < 0.15)
        .then(pl.lit("约"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    # A hedged figure never carries a target: the source hedges estimates, not audited results.
    frame = frame.with_columns(
        qualifier=pl.when(pl.col("target_number").is_null() & ~pl.col("unit").is_in(["%", ""]))
        .then(qualifier)
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    inside = pl.when(pl.col("qualifier").is_in(["余", "多"])).then(pl.col("qualifier")).otherwise(pl.lit(""))
    frame = frame.with_columns(
        value=pl.col("number") * pl.col("scale"),
        value_text=pl.concat_str(_scaled(pl.col("number"), pl.col("decimals")), inside, pl.col("unit")),
        target=pl.col("target_number") * pl.col("scale"),
        target_text=pl.when(pl.col("target_number").is_not_null()).then(
            pl.concat_str(_scaled(pl.col("target_number"), pl.col("decimals")), pl.col("unit"))
        ),
        growth_pct=pl.when(pl.col("has_growth")).then(pl.col("growth")),
        rank_is_top_n=pl.col("ranked") & pl.col("top_n") & (pl.col("rank_scope") != "全国"),
        # Synthetic narratives state results, never forecasts (no 预计 / 有望 in their quotes).
        is_forecast=pl.lit(False),
    )
    frame = frame.with_columns(
        completion_pct=pl.when(pl.col("target").is_not_null()).then(
            (pl.col("value") / pl.col("target") * 100).round(2)
        ),
        rank=pl.when(~pl.col("ranked"))
        .then(pl.lit(None, dtype=pl.Int32))
        .when(pl.col("rank_is_top_n"))
        .then(pl.col("top_n_rank").cast(pl.Int32))
        .when(pl.col("rank_scope") == "全国")
        .then(pl.col("rank") * 3)
        .otherwise(pl.col("rank")),
        rank_scope=pl.when(pl.col("ranked")).then(pl.col("rank_scope")),
    )
    # Two ways the source states a target: "（目标X），完成率c%" (stated) or only "完成年度目标c%",
    # the target then worked back from the rate (approximate, so its text starts with 约).
    # "（目标X），完成率100%" would not read well, so a 100% rate is always the second way.
    frame = frame.with_columns(
        target_basis=pl.when(pl.col("target").is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when((pl.col("nn") % 2 == 0) | (pl.col("completion_pct") == 100))
        .then(pl.lit("completion"))
        .otherwise(pl.lit("stated"))
    ).with_columns(
        target_text=pl.when(pl.col("target_basis") == "completion")
        .then(pl.lit("约") + pl.col("target_text"))
        .otherwise(pl.col("target_text"))
    )
    top_n_word = pl.col("rank").replace_strict(dict(TOP_N_WORDS), default="三", return_dtype=pl.String)
    growth_text = (
        pl.when(pl.col("growth_pct").is_null())
        .then(pl.lit(""))
        .when(pl.col("growth_pct") >= 0)
        .then(
            pl.concat_str(
                pl.lit("，同比增长"), pl.col("growth_pct").cast(pl.String).str.replace(r"\.0$", ""), pl.lit("%")
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("，同比下降"), (-pl.col("growth_pct")).cast(pl.String).str.replace(r"\.0$", ""), pl.lit("%")
            )
        )
    )
    completion_text = _number_text(pl.col("completion_pct"), pl.lit(2))
    target_text = (
        pl.when(pl.col("target_basis").is_null())
        .then(pl.lit(""))
        .when(pl.col("target_basis") == "completion")
        .then(pl.concat_str(pl.lit("，完成年度目标"), completion_text, pl.lit("%")))
        .otherwise(
            pl.concat_str(pl.lit("（目标"), pl.col("target_text"), pl.lit("），完成率"), completion_text, pl.lit("%"))
        )
    )
    rank_text = (
        pl.when(pl.col("rank").is_null())
        .then(pl.lit(""))
        .when(pl.col("rank_is_top_n"))
        .then(pl.concat_str(pl.lit("，排名"), pl.col("rank_scope"), pl.lit("前"), top_n_word))
        .otherwise(pl.concat_str(pl.lit("，居"), pl.col("rank_scope"), pl.lit("第"), pl.col("rank").cast(pl.String)))
    )
    before = pl.when(pl.col("qualifier").is_in(["超", "约"])).then(pl.col("qualifier")).otherwise(pl.lit(""))
    after = pl.when(pl.col("qualifier") == "以上").then(pl.col("qualifier")).otherwise(pl.lit(""))
    quote = pl.concat_str("head", before, "value_text", after, growth_text, target_text, rank_text)
    frame = frame.with_columns(quote=quote)
    return frame.with_columns(
        confidence=pl.lit("high"),
        confidence_reason=pl.lit(None, dtype=pl.String),
        indicator_id=pl.concat_str("goal_id", pl.lit("-"), pl.col("nn").cast(pl.String).str.zfill(2)),
        # The first figure follows the lead-in's "，"; later ones are joined by "，" or "；".
        clause=pl.when(pl.col("nn") == 1)
        .then(pl.col("quote"))
        .otherwise(pl.concat_str(pl.when(pl.col("connector")).then(pl.lit("，")).otherwise(pl.lit("；")), "quote")),
    )


# --- command line -------------------------------------------------------------------------

OS_ERRORS = {
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EEXIST: "已有同名文件",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.ENOENT: "路径无法创建",
}
USAGE = "用法：python -m kpi.synth --out 目录 --departments 部门数 --years 年数 [--seed 随机种子]"


class _Parser(argparse.ArgumentParser):
    """argparse with its complaints in Chinese, and no traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("unrecognized arguments"):
            message = "无法识别的参数：" + message.split(":", 1)[1].strip()
        elif "expected one argument" in message:
            message = f"参数 {message.split(':', 1)[0].removeprefix('argument ')} 缺少取值"
        raise SynthError(message)


def _whole_number(text: str | None, option: str, low: int, high: int) -> int:
    if text is None:
        raise SynthError(f"缺少参数 {option}")
    try:
        number = int(text.strip())
    except ValueError:
        raise SynthError(f"参数 {option} 应为整数，实际为「{text}」") from None
    if not low <= number <= high:
        raise SynthError(f"参数 {option} 应在 {low} 到 {high} 之间，实际为 {number}")
    return number


def _parse(argv: Sequence[str]) -> tuple[Path, int, int, int]:
    parser = _Parser(prog="python -m kpi.synth", add_help=True, description="生成符合数据约定的合成数据集")
    parser.add_argument("--out", help="输出目录（写入四个 Parquet 文件）")
    parser.add_argument("--departments", help="部门数")
    parser.add_argument("--years", help=f"年数（截至 {LAST_YEAR} 年）")
    parser.add_argument("--seed", default="0", help="随机种子，默认 0；相同参数与种子生成相同数据")
    args = parser.parse_args(list(argv))
    if not args.out or not args.out.strip():
        raise SynthError("缺少参数 --out（输出目录）")
    departments = _whole_number(args.departments, "--departments", 1, MAX_DEPARTMENTS)
    years = _whole_number(args.years, "--years", 1, MAX_YEARS)
    seed = _whole_number(args.seed, "--seed", 0, 2**32 - 1)
    return Path(args.out).expanduser(), departments, years, seed


def main(argv: Sequence[str] | None = None) -> int:
    try:
        out, departments, years, seed = _parse(sys.argv[1:] if argv is None else argv)
    except SynthError as error:
        print(f"错误：{error}\n{USAGE}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    dataset = generate(departments, years, seed)
    generated = time.perf_counter()
    try:
        write_dataset(dataset, out)
    except ContractError as error:  # a bug in the generator, said plainly
        print(f"错误：生成的数据不符合约定，未写入任何文件。\n{error}", file=sys.stderr)
        return 1
    except OSError as error:
        reason = OS_ERRORS.get(error.errno or 0, error.strerror or type(error).__name__)
        print(f"错误：无法写入目录 {out}（{reason}），未写入任何文件。", file=sys.stderr)
        return 1
    written = time.perf_counter()
    counts = "，".join(f"{name} {frame.height:,} 行" for name, frame in dataset.tables().items())
    print(f"已写入 {out.resolve()}：{counts}")
    print(
        f"用时：生成 {generated - started:.1f} 秒，校验并写入 {written - generated:.1f} 秒，共 {written - started:.1f} 秒"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
