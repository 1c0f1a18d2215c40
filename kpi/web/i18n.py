"""Every UI text of the dashboard, Chinese first, English on ``?lang=en``.

Narratives, quotes and figures stay as the source writes them (Chinese);
labels, statuses, themes and department names are translated here.
"""

from __future__ import annotations

from kpi.contract.vocab import (
    FULL_YEAR,
    LIGHT_LABELS_FY_ZH,
    LIGHT_LABELS_ZH,
    LIGHTS,
    PERIOD_LABELS_ZH,
    STATUS_LABELS_ZH,
    STATUSES,
)

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"

# The caption's source title and as-of date come from the data (periods.parquet), per period.

# Lights never by colour alone: a shape and words. Colours from the Okabe–Ito palette, told
# apart with every common colour-vision deficiency (bluish green, orange, vermillion, grey).
LIGHT_ICONS: dict[str, str] = {"green": "●", "yellow": "◑", "red": "▲", "none": "○"}
LIGHT_COLORS: dict[str, str] = {"green": "#009E73", "yellow": "#E69F00", "red": "#D55E00", "none": "#8C8C8C"}
LIGHT_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "zh": {"running": LIGHT_LABELS_ZH, "full_year": LIGHT_LABELS_FY_ZH},
    "en": {
        "running": {
            "green": "On pace with time elapsed",
            "yellow": "Slightly behind time elapsed",
            "red": "Behind time elapsed",
            "none": "No measurable progress",
        },
        "full_year": {
            "green": "Target met",
            "yellow": "Mostly met",
            "red": "Not met",
            "none": "No measurable progress",
        },
    },
}
PERIOD_LABELS_EN: dict[str, str] = {
    "Q1": "Q1",
    "H1": "H1",
    "Q1-3": "Q1–Q3",
    FULL_YEAR: "Full year",
    **{f"M1-{m}": (f"Jan–{m}" if m > 1 else "Jan") for m in range(1, 12) if f"M1-{m}" in PERIOD_LABELS_ZH},
}
assert set(LIGHT_ICONS) == set(LIGHTS) == set(LIGHT_COLORS)

# Status never by colour alone: each has a symbol and a word. Plain text symbols
# (not colour emoji) so they also render in tables, chart legends and select boxes
# on machines without an emoji font.
STATUS_ICONS: dict[str, str] = {
    "exceeded": "★",
    "achieved": "✔",
    "on_track": "↗",
    "pending": "◷",
    "at_risk": "⚠",
    "not_met": "✖",
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "zh": STATUS_LABELS_ZH,
    "en": {
        "exceeded": "Exceeded",
        "achieved": "Achieved",
        "on_track": "On track",
        "pending": "Pending acceptance",
        "at_risk": "At risk",
        "not_met": "Not met",
    },
}
# Streamlit badge colours, paired with the icon and the word above.
STATUS_BADGE_COLORS: dict[str, str] = {
    "exceeded": "blue",
    "achieved": "green",
    "on_track": "violet",
    "pending": "orange",
    "at_risk": "orange",
    "not_met": "red",
}
assert set(STATUS_LABELS["zh"]) == set(STATUSES) == set(STATUS_ICONS)

# Keyed by the department's Chinese short name, which is how the source names it.
DEPARTMENT_NAMES_EN: dict[str, str] = {
    "市妇联": "Women's Federation",
    "市档案馆": "Archives",
    "市总工会": "Federation of Trade Unions",
    "市发展改革委": "Development and Reform Commission",
    "市财政局": "Finance Bureau",
    "市经信局": "Economy and Information Technology Bureau",
    "市建设局": "Housing and Construction Bureau",
    "市残联": "Disabled Persons' Federation",
    "市红十字会": "Red Cross Society",
    "市文联": "Federation of Literary and Art Circles",
    "市农业农村局": "Agriculture and Rural Affairs Bureau",
    "市自然资源和规划局": "Natural Resources and Planning Bureau",
    "市交通运输局": "Transport Bureau",
    "市统计局": "Statistics Bureau",
}

RANK_SCOPE_GROUPS: dict[str, dict[str, str]] = {
    "zh": {"province": "全省", "nation": "全国", "other": "其他范围"},
    "en": {"province": "Province", "nation": "Nation", "other": "Other scopes"},
}

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"zh": "湖州市直部门目标驾驶舱", "en": "Huzhou Department Goals Dashboard"},
    "page_overview": {"zh": "总览", "en": "Overview"},
    "page_rankings": {"zh": "排名", "en": "Rankings"},
    "page_targets": {"zh": "目标对比", "en": "Target vs actual"},
    "page_departments": {"zh": "部门", "en": "Departments"},
    "page_goals": {"zh": "目标明细", "en": "Goal details"},
    "filters": {"zh": "筛选", "en": "Filters"},
    "language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "year": {"zh": "年度", "en": "Year"},
    "departments": {"zh": "部门", "en": "Departments"},
    "sector": {"zh": "领域", "en": "Sector"},
    "themes": {"zh": "主题", "en": "Themes"},
    "status": {"zh": "完成状态", "en": "Status"},
    "search": {"zh": "搜索目标与完成情况", "en": "Search goals and narratives"},
    "search_placeholder": {"zh": "如：减负、全省第1", "en": "e.g. 减负, 全省第1"},
    "dept_find": {"zh": "查找部门", "en": "Find a department"},
    "dept_find_none": {"zh": "没有名称含「{text}」的部门", "en": "No department's name contains “{text}”"},
    "dept_find_placeholder": {"zh": "输入部门名称的一部分", "en": "Part of a department's name"},
    "dept_showing": {
        "zh": "列出前 {shown} 个部门，共 {n} 个；输入名称查找其他部门",
        "en": "Listing {shown} of {n} departments; type a name to find others",
    },
    "all": {"zh": "全部", "en": "All"},
    "clear_filters": {"zh": "清除筛选", "en": "Clear filters"},
    "share": {"zh": "复制链接", "en": "Share link"},
    "share_help": {
        "zh": "此链接包含年度与全部筛选条件，打开即可看到相同视图。点击页面右上方的“复制链接”按钮即可复制。",
        "en": "This link carries the year and every filter; opening it shows the same view. The “Share link” button at the top of the page copies it.",
    },
    "share_show": {"zh": "查看链接", "en": "Show link"},
    "copied": {"zh": "已复制，可直接粘贴发送", "en": "Copied; paste it to share"},
    "copy_failed": {
        "zh": "浏览器不允许自动复制，请在左侧“复制链接”中长按链接复制",
        "en": "The browser refused to copy; copy the link under “Share link” in the sidebar",
    },
    "source_caption": {
        "zh": "数据来源：《{source}》，{year}年度{period}，数据截至 {as_of}，时序进度 {progress}。每个数字均可在指标表的“原文”列中追溯到原文句子。",
        "en": "Source: “{source}”, {year} {period}, figures as of {as_of}, time elapsed {progress}. Every figure traces to a source sentence (column “Quote”).",
    },
    "source_caption_missing": {
        "zh": "{year}年度没有该期间的数据。",
        "en": "No data for this period of {year}.",
    },
    "period": {"zh": "期间", "en": "Period"},
    # lights
    "lights": {"zh": "进度灯", "en": "Progress lights"},
    "light_legend_title": {"zh": "进度灯说明", "en": "What the lights mean"},
    # thresholds stored with the data (issue 12 follow-up)
    "light_thresholds_unknown": {
        "zh": "这一版数据没有记录判断进度灯时所用的阈值（记录阈值之前生成的旧版数据），因此不列出具体数值；重新导入或重建数据后即可显示。",
        "en": "This version of the data does not record the thresholds its lights were decided with (written before they were recorded), so no numbers are given; a new import or a rebuild records them.",
    },
    "light_legend": {
        "zh": "数量目标：完成比例 ≥ 时序进度为{green}，低于时序进度不超过 {amount_gap} 个百分点为{yellow}，更低为{red}。"
        "增速/比率目标：达到目标为{green}（“左右”低于目标不超过 {about} 个百分点也算），低于目标不超过 {rate_gap} 个百分点为{yellow}，更低为{red}；"
        "“控制在…以内”反之；浓度、单位GDP能耗这类水平值的上限不按时序进度折算，不超过上限为{green}，超出不超过 {amount_gap}% 为{yellow}，更多为{red}；"
        "耕地保有量、人均公园绿地面积这类水平值的下限同样不折算，达到为{green}，低于下限不超过 {amount_gap}% 为{yellow}，更低为{red}；"
        "“下降…以上”按降幅比较。排名目标：在目标名次内为{green}，之外为{red}。叙述称难度较大或未完成一律为{red}；待验收为{yellow}；"
        "“有望”在全年之前为{green}、全年为{yellow}。叙述自述与时序进度的对比也计入："
        "快于或达到、已完成全年目标为{green}，略低于或未说差距的低于为{yellow}，滞后、落后为{red}，写明低于若干个百分点的按数量目标的 {amount_gap} 个百分点判断。全年叙述称基本完成、部分完成的为{fy_yellow_label}。全年：完成比例 ≥ {fy_green}% 为{fy_green_label}，≥ {fy_yellow}% 为{fy_yellow_label}，更低为{fy_red_label}。"
        "多项指标取最差者；没有可量化的目标为{none}（全年叙述报告已完成的为{fy_green_label}）。",
        "en": "Amount targets: share ≥ time elapsed is {green}; up to {amount_gap} points below is {yellow}; further below is {red}. "
        "Rate targets: at or above target is {green} (for “about”, up to {about} points below counts), up to {rate_gap} points below {yellow}, further {red}; "
        "ceilings the other way round; a ceiling on a level (a concentration, energy per unit of GDP) is not prorated: at or under it {green}, up to {amount_gap}% over {yellow}, more {red}; "
        "a floor on a level (farmland held, park area per head) likewise: at or over it {green}, up to {amount_gap}% under {yellow}, more {red}; "
        "a reduction (down by at least X%) is compared by the decrease. Rank targets: within the rank {green}, outside {red}. A narrative at risk or not met is always {red}; pending acceptance {yellow}; "
        "a forecast {green} before the full year, {yellow} at it. What the narrative says of the time elapsed counts too: ahead or at it, or the year's target met already {green}, "
        "slightly below or below without a size {yellow}, behind {red}, below by a stated number of points as an amount target ({amount_gap} points); a full year reported done in part (基本完成) is {fy_yellow_label}. Full year: share ≥ {fy_green}% {fy_green_label}, ≥ {fy_yellow}% {fy_yellow_label}, below {fy_red_label}. "
        "Several measures: the worst wins; nothing measurable is {none} (at full year, a goal reported done is {fy_green_label}).",
    },
    "light_reason": {"zh": "进度依据", "en": "Why this light"},
    # A label and its text: the colon of the language (the text itself may be the source's Chinese).
    "labelled": {"zh": "{label}：{text}", "en": "{label}: {text}"},
    "light_tiles_caption": {
        "zh": "按{period}时序进度（{progress}）判断的各色目标条数；趋势线为截至本期最近{n}个期间（跨年度）的变化。",
        "en": "Goals per light against the time elapsed in {period} ({progress}); the sparklines run over the last {n} periods up to this one, across years.",
    },
    "tile_light_help": {
        "zh": "进度灯为“{label}”的目标条数。判断规则见“进度灯说明”。",
        "en": "Goals whose light is “{label}”. Rules under “What the lights mean”.",
    },
    "attention_lights_caption": {
        "zh": "先列{red}，再列{yellow}的目标，每条附进度依据（决定灯色的数字）。",
        "en": "Goals with {red} first, then {yellow}, each with the figures that decided it.",
    },
    "changes": {"zh": "较上期变化", "en": "Changes since the previous period"},
    "changes_caption": {
        "zh": "与本年度{previous}相比进度灯发生变化的目标，变差的在前。",
        "en": "Goals whose light changed since {previous} of the same year; worse first.",
    },
    "changes_none": {
        "zh": "与上期相比没有目标的进度灯发生变化。",
        "en": "No goal's light changed since the previous period.",
    },
    "changes_first_period": {
        "zh": "本期是该年度的第一期，没有可比较的上期。",
        "en": "This is the year's first period; there is no previous one to compare with.",
    },
    "change_worse": {"zh": "变差", "en": "worse"},
    "change_better": {"zh": "好转", "en": "better"},
    # Between 达到时序进度 and 无量化进度: neither worse nor better (vocab.BEHIND_LIGHTS).
    "change_neither": {"zh": "量化情况变化", "en": "measurability changed"},
    "change_tag": {"zh": "{previous} → {now}（{word}）", "en": "{previous} → {now} ({word})"},
    "progress": {"zh": "时序进度对比", "en": "Progress against time elapsed"},
    "progress_caption": {
        "zh": "条形为完成量占全年目标的比例，竖线为时序进度（{progress}）；数值和目标按原文写法。按落后时序进度的程度排序，最落后的在前。",
        "en": "Bars: share of the year's target done; the line: time elapsed ({progress}). Value and target as written. Furthest behind first.",
    },
    "progress_marker": {"zh": "时序进度", "en": "Time elapsed"},
    "no_progress": {
        "zh": "当前筛选条件下没有带数量目标的指标。",
        "en": "No figure with an amount target under these filters.",
    },
    "col_share": {"zh": "占全年目标%", "en": "% of year's target"},
    "col_time_progress": {"zh": "时序进度%", "en": "Time elapsed %"},
    "col_time_gap": {"zh": "与时序进度差（百分点）", "en": "Gap to time elapsed (points)"},
    "col_light": {"zh": "进度灯", "en": "Light"},
    "col_period": {"zh": "期间", "en": "Period"},
    "col_previous_light": {"zh": "上期进度灯", "en": "Previous light"},
    "history": {"zh": "历次进度", "en": "Across periods"},
    "rank_up": {"zh": "进位 {n} 位", "en": "up {n}"},
    "rank_down": {"zh": "退位 {n} 位", "en": "down {n}"},
    "rank_same": {"zh": "名次不变", "en": "unchanged"},
    "rank_move": {
        "zh": "{name}：{scope}第{rank}（较{previous}{move}）",
        "en": "{name}: {scope} No. {rank} ({move} since {previous})",
    },
    # access (kpi/web/auth.py)
    "login_help": {
        "zh": "本驾驶舱仅限授权人员查看，请输入访问密码。",
        "en": "This dashboard is for authorised viewers. Enter the access password.",
    },
    "password": {"zh": "访问密码", "en": "Access password"},
    "login": {"zh": "进入", "en": "Enter"},
    "wrong_password": {
        "zh": "密码不正确，请重新输入。为防止猜测，每次输错都会稍等片刻。",
        "en": "Wrong password; please try again. Each wrong attempt waits a moment, against guessing.",
    },
    "logout": {"zh": "退出登录", "en": "Log out"},
    "login_oidc_help": {
        "zh": "本驾驶舱仅限授权人员查看，请使用统一身份认证登录。",
        "en": "This dashboard is for authorised viewers. Sign in with the city's identity service.",
    },
    "login_oidc": {"zh": "统一身份认证登录", "en": "Sign in"},
    "login_oidc_unavailable": {
        "zh": '已配置统一身份认证，但服务器缺少 Authlib 组件，暂时无法登录。请管理员安装 Authlib（pip install "Authlib>=1.3.2"）后重启服务。',
        "en": 'Single sign-on is configured but the server lacks Authlib. An administrator must install it (pip install "Authlib>=1.3.2") and restart.',
    },
    # broken data and links
    "login_refused": {
        "zh": "登录失败次数过多，已暂停登录。请在 {at}（约 {minutes} 分钟后）再试。",
        "en": "Too many failed attempts; logging in is paused. Try again at {at} (in about {minutes} min).",
    },
    "data_error_title": {"zh": "数据暂不可用", "en": "Data unavailable"},
    "data_error": {
        "zh": "数据文件有问题，驾驶舱暂时无法显示：",
        "en": "The data files have problems; the dashboard cannot show them:",
    },
    "data_error_help": {
        "zh": "修复或重新导入上述文件后，点击“重新检查”或刷新页面即可恢复，无需重启服务。",
        "en": "Once the files are fixed or imported again, click “Check again” or reload the page; no restart is needed.",
    },
    "data_retry": {"zh": "重新检查", "en": "Check again"},
    "data_read_failed": {
        "zh": "读取数据时出错（{error}），数据文件可能正在更新或已损坏。",
        "en": "Reading the data failed ({error}); the files may be being updated or damaged.",
    },
    "url_ignored": {
        "zh": "链接中以下筛选条件的值无效，已忽略：{params}。下方显示的是忽略后的结果。",
        "en": "Invalid values in the link were ignored for: {params}. The view below is without them.",
    },
    "empty": {
        "zh": "当前筛选条件下没有符合的目标。可调整左侧筛选或点击“清除筛选”。",
        "en": "No goal matches the current filters. Adjust the filters or clear them.",
    },
    "empty_chart": {
        "zh": "当前筛选条件下没有可绘制的数据。",
        "en": "Nothing to chart for the current filters.",
    },
    "goal_figures": {"zh": "指标明细（{n} 项）", "en": "Figures ({n})"},
    "view_data": {"zh": "查看数据", "en": "View data"},
    "show_all": {"zh": "显示全部（共 {n} 项）", "en": "Show all ({n})"},
    "showing_top": {"zh": "显示前 {shown} 项，共 {n} 项", "en": "Showing {shown} of {n}"},
    # KPI tiles
    "tile_goals": {"zh": "目标数", "en": "Goals"},
    "tile_goals_help": {
        "zh": "符合当前筛选条件的目标任务条数（每个部门每年的每条目标计一条）。",
        "en": "Number of goals matching the filters (one per department goal and year).",
    },
    "tile_status_help": {
        "zh": "状态为“{label}”的目标条数。状态依据完成情况叙述判定，理由见目标卡片。",
        "en": "Goals whose status is “{label}”. Status is read from the narrative; the reason is on each goal card.",
    },
    "tile_risk": {"zh": "难度较大/未完成", "en": "At risk / not met"},
    "tile_risk_help": {
        "zh": "状态为“难度较大”或“未完成”的目标条数之和。",
        "en": "Goals whose status is “at risk” or “not met”, added together.",
    },
    "tile_first": {"zh": "全省第一", "en": "Provincial No. 1"},
    "tile_first_help": {
        "zh": "这些目标的指标中，原文写明已取得“全省第1”（排名范围为全省、名次为1、非“前N”区间）的指标个数；原文为“预计”“有望”等预测的不计入，另列于“预计全省第一”。",
        "en": "Figures of these goals that the source states as ranked 1st in the province (scope 全省, rank 1, not a top-N range); forecasts (预计, 有望) are not counted here but under “Forecast No. 1”.",
    },
    "tile_forecast_first": {"zh": "预计全省第一", "en": "Forecast No. 1"},
    "tile_forecast_first_help": {
        "zh": "原文以“预计”“有望”等预测语气写出“全省第1”的指标个数：尚未取得，不计入“全省第一”。",
        "en": "Figures the source expects to rank 1st in the province (预计, 有望): not yet achieved, so not counted under “Provincial No. 1”.",
    },
    "tile_met_share": {"zh": "目标达成率", "en": "Share of goals met"},
    "tile_met_share_help": {
        "zh": "（超额完成 + 已完成）的目标条数 ÷ 目标总数。有望完成、待验收不计入。",
        "en": "(Exceeded + achieved goals) ÷ all goals. On-track and pending goals are not counted as met.",
    },
    # overview
    "status_mix": {"zh": "各部门目标完成状态", "en": "Status mix by department"},
    "status_mix_caption": {
        "zh": "问题在前：红灯（滞后）目标多的部门排在最上，其次黄灯，灯数相同再比未完成、难度较大、待验收的目标数，其后按达到进度的目标占比从低到高。点击部门可查看该部门的全部目标。",
        "en": "Problems first: departments with the most red lights (behind) come first, then yellow; equal lights, then goals not met, at risk or pending; then by share of goals on pace, lowest first. Click a department to list its goals.",
    },
    "status_mix_hidden": {
        "zh": "另有 {n} 个部门没有红灯、黄灯或未完成、难度较大、待验收的目标，未列出；可打开“显示全部”。",
        "en": "{n} more departments have no red or yellow light and no goal not met, at risk or pending, and are not listed; turn on “Show all”.",
    },
    "show_all_departments": {"zh": "显示全部部门（共 {n} 个）", "en": "Show all departments ({n})"},
    "problems": {"zh": "需关注的部门", "en": "Departments needing attention"},
    "problems_show_all": {
        "zh": "显示全部需关注的部门（共 {n} 个）",
        "en": "Show every department needing attention ({n})",
    },
    "problems_hidden": {
        "zh": "按红灯、黄灯从多到少列出最需关注的部门，另有 {n} 个需关注的部门未列出；可打开上方开关或按部门筛选。",
        "en": "The departments with the most red and yellow lights are listed; {n} more need attention; use the switch above or filter by department.",
    },
    "problems_none": {
        "zh": "当前筛选条件下没有红灯、黄灯目标，也没有未完成、难度较大或待验收的目标。",
        "en": "No goal has a red or yellow light, and none is not met, at risk or pending, under these filters.",
    },
    "league": {"zh": "部门赛马榜", "en": "Department league table"},
    "league_rule": {
        "zh": "排序规则：先比进度达标率（绿灯——达到时序进度，全年为完成目标——的目标占比），相同再比原文写明的“全省第1”指标个数，再比“全省前三”指标个数；三项都相同为并列，并列中红灯、黄灯多的排在后面。“预计”“有望”等预测不计入。",
        "en": "Rule: share of goals on pace (green light: on pace with time elapsed, at full year target met) first, then figures the source states as 1st in the province, then figures in the provincial top 3; equal on all three is a tie, listed with more red, then yellow lights lower. Forecasts (预计, 有望) are not counted.",
    },
    "col_place": {"zh": "名次", "en": "Place"},
    "col_top3_short": {"zh": "全省前三", "en": "Top 3"},
    "place": {"zh": "第{n}", "en": "{n}"},
    "place_tied": {"zh": "并列第{n}", "en": "{n} (tied)"},
    "dept_goals_title": {"zh": "{name}的全部目标", "en": "All goals of {name}"},
    "attention": {"zh": "需关注", "en": "Needs attention"},
    "attention_none": {"zh": "当前筛选条件下没有需关注的目标。", "en": "No goal needs attention under these filters."},
    # rankings
    "rankings_caption": {
        "zh": "按部门列出每项排名：全省第1最多的部门在前，部门内名次靠前的在前；“前N”写作区间；“预计”“有望”等预测单独标出，不计入统计。每项后附原文。",
        "en": "Every ranking, by department: departments with most stated provincial firsts first, best ranks first within each; “top N” is a range; forecasts (预计, 有望) are marked and not counted. Each with its quote.",
    },
    "no_ranked": {"zh": "该范围下没有排名数据。", "en": "No ranked figure in this scope."},
    # targets
    "targets_caption": {
        "zh": "每个有目标值或完成率的指标，离目标最远的排在最前（含未达标的），竖线为100%。目标值来源：“原文写明”为原文或目标标题中写出的数；“由超额数推算”为实际数减去原文“超额完成”的数，是精确值；标“约”的为由原文完成率反推（实际数÷完成率），是近似值。",
        "en": "Every figure with a target or a completion rate, furthest below target first (shortfalls included); the line marks 100%. Target source: “stated” is written in the source or the goal title; “from the excess” is the actual minus the stated 超额完成, exact; targets marked 约 are worked back from the stated completion rate (actual ÷ rate), approximate.",
    },
    "basis_stated": {"zh": "原文写明", "en": "stated"},
    "basis_excess": {"zh": "由超额数推算（精确）", "en": "from the excess, exact"},
    "basis_completion": {"zh": "由完成率推算（约）", "en": "from the completion rate, approximate"},
    "basis_curated": {"zh": "人工核定", "en": "curated"},
    "basis_rate_only": {"zh": "仅有完成率", "en": "completion rate only"},
    "col_basis": {"zh": "目标来源", "en": "Target source"},
    "target_line": {
        "zh": "实际 {value}；目标 {target}，来源：{basis}；占目标 {pct}；差距 {gap}（{gap_pct}）",
        "en": "actual {value}; target {target}, source: {basis}; {pct} of target; gap {gap} ({gap_pct})",
    },
    "target_line_rate": {
        "zh": "实际 {value}，完成率 {pct}（原文未给出目标值），差距 {gap_pct}",
        "en": "actual {value}, completion rate {pct} (no target value in the source), gap {gap_pct}",
    },
    "col_gap": {"zh": "差距（原文单位）", "en": "Gap (source units)"},
    "col_gap_pct": {"zh": "差距%", "en": "Gap %"},
    "col_title_target": {"zh": "标题中的目标", "en": "Target in the title"},
    "col_note": {"zh": "说明", "en": "Note"},
    "percentage_points": {"zh": "个百分点", "en": " percentage points"},
    "growth_target": {"zh": "增长{value}", "en": "growth {value}"},
    "title_targets": {
        "zh": "目标写在标题中、原文未给出可对比数值的目标",
        "en": "Targets in goal titles without a comparable figure",
    },
    "title_targets_caption": {
        "zh": "这些目标的标题写出了目标数，但完成情况中没有可与之直接对比的全年数值，无法计算差距；按状态排序，问题在前。",
        "en": "These goal titles state a target, but the narrative gives no annual figure to compare it with, so no gap can be computed; worst status first.",
    },
    "title_target_none": {
        "zh": "目标{target}，原文未给出全年数值",
        "en": "Target {target}; the source gives no annual figure",
    },
    "title_target_other": {
        "zh": "目标{target}，原文未给出可直接对比的全年数值（原文数值：{figures}）",
        "en": "Target {target}; no directly comparable annual figure (figures in the source: {figures})",
    },
    "title_targets_more": {"zh": "另有 {n} 条未列出。", "en": "{n} more not listed."},
    "pct_of_target": {"zh": "占目标百分比（%）", "en": "Percent of target (%)"},
    "reached": {"zh": "达到或超过目标", "en": "At or above target"},
    "below": {"zh": "低于目标", "en": "Below target"},
    "no_targets": {
        "zh": "当前筛选条件下没有带目标值或完成率的指标。",
        "en": "No figure with a target or completion rate under these filters.",
    },
    # department page
    "pick_department": {"zh": "选择部门", "en": "Pick a department"},
    "dept_picked_first": {
        "zh": "已选多个或未选部门，此处显示第一个；可在上方切换。",
        "en": "Several or no departments are selected; showing the first. Switch above.",
    },
    "dept_search": {
        "zh": "搜索“{q}”：{n} 个部门有符合的目标（按部门名称或目标内容）。",
        "en": "Search “{q}”: {n} departments have a matching goal (by department name or goal text).",
    },
    "goals_of": {"zh": "{name}的目标", "en": "Goals of {name}"},
    # goal cards
    "narrative": {"zh": "完成情况", "en": "Result (Chinese source)"},
    "status_reason": {"zh": "状态依据", "en": "Why this status"},
    "indicators": {"zh": "指标", "en": "Figures"},
    "goal_count": {"zh": "共 {n} 条目标", "en": "{n} goals"},
    "page_of": {"zh": "第 {page}/{pages} 页", "en": "Page {page} of {pages}"},
    "goal_order": {
        "zh": "问题优先：红灯 ▲、黄灯 ◑ 在前，同色按完成状态由差到好，其余按部门和序号",
        "en": "Problems first: red ▲, then yellow ◑; within a light worst status first, then department and number",
    },
    "download_csv_goals": {"zh": "下载目标 CSV", "en": "Goals CSV"},
    "download_csv_indicators": {"zh": "下载指标 CSV", "en": "Figures CSV"},
    "download_xlsx": {"zh": "下载 Excel（目标+指标）", "en": "Excel (goals + figures)"},
    # column headers
    "col_department": {"zh": "部门", "en": "Department"},
    "col_goal": {"zh": "目标", "en": "Goal"},
    "col_figure": {"zh": "指标", "en": "Figure"},
    "col_value": {"zh": "数值（原文）", "en": "Value (as written)"},
    "col_target": {"zh": "目标值（原文）", "en": "Target (as written)"},
    "col_pct": {"zh": "占目标%", "en": "% of target"},
    "col_completion": {"zh": "完成率%", "en": "Completion %"},
    "col_growth": {"zh": "增长%", "en": "Growth %"},
    "col_rank": {"zh": "名次", "en": "Rank"},
    "col_rank_text": {"zh": "排名", "en": "Ranking"},
    "col_quote": {"zh": "原文", "en": "Quote"},
    "col_check": {"zh": "核对", "en": "Check"},
    "figure_unconfirmed": {"zh": "待核：{reason}", "en": "To check: {reason}"},
    "col_status": {"zh": "状态", "en": "Status"},
    "col_count": {"zh": "目标数", "en": "Goals"},
    "col_total": {"zh": "目标总数", "en": "Total goals"},
    "col_met_share": {"zh": "达成率", "en": "Share met"},
    # problems first by lights (issue 14 with issue 12's lights)
    "col_on_pace_share": {"zh": "进度达标率", "en": "On pace"},
    "league_hidden": {
        "zh": "共 {total} 个部门，列出前 {n} 名和后 {n} 名，另有 {hidden} 个部门未列出；可打开“显示全部”。",
        "en": "{total} departments: the top {n} and the bottom {n} are listed, {hidden} more are not; turn on “Show all”.",
    },
    "col_themes": {"zh": "主题", "en": "Themes"},
    "col_title": {"zh": "目标任务", "en": "Goal"},
    "col_result": {"zh": "完成情况", "en": "Result"},
    "col_seq": {"zh": "序号", "en": "No."},
    "col_year": {"zh": "年度", "en": "Year"},
    "col_unit": {"zh": "单位", "en": "Unit"},
    "col_top_n": {"zh": "前N区间", "en": "Top-N range"},
    "rank_text_exact": {"zh": "{scope}第{rank}", "en": "{scope} No. {rank}"},
    "rank_text_top": {"zh": "{scope}前{rank}", "en": "{scope} top {rank}"},
    "rank_range_text": {
        "zh": "（第1至第{rank}名之间，原文未给出具体名次）",
        "en": " (somewhere in 1st–{rank}th; the source gives no exact rank)",
    },
    "rank_forecast": {"zh": "预计", "en": "expected "},
    "rank_forecast_note": {"zh": "（预测，未计入名次统计）", "en": " (a forecast, not counted)"},
    "rank_value": {"zh": "，数值 {value}", "en": ", value {value}"},
    "rankings_more": {
        "zh": "另有 {n} 项未列出，可在“目标明细”下载全部指标。",
        "en": "{n} more not listed; download every figure on “Goal details”.",
    },
    # PDF briefing (简报, issue 15): kpi/web/brief.py, the 下载简报 button and python -m kpi.brief
    "brief_download": {"zh": "下载简报", "en": "Download briefing"},
    "brief_download_help": {
        "zh": "当前视图的一页 A4 简报（PDF）：目标概况、需关注、赛马榜、全省第一，附打开同一视图的链接。点击时生成。",
        "en": "A one-page A4 briefing (PDF) of this view: headline tiles, needs attention, league table, provincial firsts and the link to the view. Made when clicked.",
    },
    "brief_file": {"zh": "简报", "en": "简报"},
    "brief_title": {"zh": "湖州市直部门目标任务简报", "en": "Huzhou department goals briefing"},
    "brief_period": {"zh": "{year}年度 · {period}", "en": "{year} · {period}"},
    "brief_filters": {"zh": "筛选条件：{filters}", "en": "Filters: {filters}"},
    "brief_no_filters": {"zh": "全部部门，未筛选", "en": "all departments, no filter"},
    "brief_filter_item": {"zh": "{name}：{values}", "en": "{name}: {values}"},
    "brief_source": {
        "zh": "数据来源：《{source}》；数据截至 {as_of}；时序进度 {progress}",
        "en": "Source: “{source}”; figures as of {as_of}; time elapsed {progress}",
    },
    "brief_lights": {"zh": "进度灯（{period}）", "en": "Progress lights ({period})"},
    "brief_status_mix": {"zh": "各部门目标完成状态（问题在前）", "en": "Status by department (problems first)"},
    "brief_attention_more": {
        "zh": "另有 {n} 条需关注的目标未列出，见下方链接。",
        "en": "{n} more goals needing attention are not listed; see the link below.",
    },
    "brief_league_hidden": {
        "zh": "共 {total} 个部门，列出前 {n} 名和后 {n} 名，另有 {hidden} 个部门未列出，见下方链接。",
        "en": "{total} departments: the top {n} and the bottom {n} are listed, {hidden} more are not; see the link below.",
    },
    "brief_league_more": {
        "zh": "另有 {n} 个部门未列出，见下方链接。",
        "en": "{n} more departments not listed; see the link below.",
    },
    "brief_firsts": {"zh": "全省第一", "en": "Provincial first places"},
    "brief_firsts_none": {
        "zh": "当前筛选条件下没有原文写明“全省第1”的指标。",
        "en": "No figure is stated as 1st in the province under these filters.",
    },
    "brief_firsts_more": {"zh": "另有 {n} 项未列出，见下方链接。", "en": "{n} more not listed; see the link below."},
    "brief_first_line": {"zh": "{dept}：{rank}，{rest}", "en": "{dept}: {rank}, {rest}"},
    "brief_link": {"zh": "打开此链接可查看同一视图：", "en": "This link opens the same view: "},
    "brief_generated": {"zh": "生成于 {at}", "en": "Made {at}"},
    "brief_page": {"zh": "第 {page} 页，共 {pages} 页", "en": "Page {page} of {pages}"},
    "brief_empty": {
        "zh": "当前筛选条件下没有符合的目标。",
        "en": "No goal matches these filters.",
    },
    "brief_no_period": {"zh": "{year}年度没有该期间的数据", "en": "No data for this period of {year}"},
    # python -m kpi.brief: its messages
    "brief_cli_help": {
        "zh": "把驾驶舱某个视图生成一页 A4 简报（PDF），供定时发送。",
        "en": "Write a one-page A4 briefing (PDF) of a dashboard view, for scheduled sending.",
    },
    "brief_cli_out": {"zh": "输出的 PDF 文件", "en": "the PDF file to write"},
    "brief_cli_query": {
        "zh": "驾驶舱链接的查询串（如 'dept=finance&year=2022'），或整个链接；省略为默认视图（全部部门、最新年度和期间）",
        "en": "the query string of a dashboard link (e.g. 'dept=finance&year=2022') or the whole link; default: the default view",
    },
    "brief_cli_data_dir": {"zh": "数据目录（默认 data/ 或 $KPI_DATA_DIR）", "en": "the data directory"},
    "brief_cli_written": {"zh": "已写入简报：{path}（{pages} 页）", "en": "Briefing written: {path} ({pages} pages)"},
    "brief_cli_bad_query": {
        "zh": "链接参数有误，未生成简报：",
        "en": "The link's parameters are wrong; no briefing written:",
    },
    "brief_cli_data": {"zh": "数据不可用，未生成简报：", "en": "The data cannot be read; no briefing written:"},
    "brief_cli_failed": {"zh": "生成简报失败：{reason}", "en": "Making the briefing failed: {reason}"},
    "brief_cli_not_pdf": {
        "zh": "输出文件名应以 .pdf 结尾：{path}",
        "en": "The output file name must end in .pdf: {path}",
    },
    "query_too_long": {
        "zh": "查询串过长（{n} 个字符，最多 {limit} 个）",
        "en": "The query string is too long ({n} characters, at most {limit})",
    },
    "query_bad_encoding": {
        "zh": "查询串的编码无效（不是 UTF-8 的百分号编码）",
        "en": "The query string is not valid UTF-8 percent-encoding",
    },
    "query_unknown_param": {"zh": "未知的参数「{param}」", "en": "Unknown parameter “{param}”"},
    "query_bad_value": {
        "zh": "{name}（{param}）的值「{value}」无效",
        "en": "Invalid value “{value}” for {name} ({param})",
    },
    "query_one_value": {"zh": "{name}（{param}）只能有一个值", "en": "{name} ({param}) takes one value"},
    "query_too_long_search": {
        "zh": "搜索（q）超过 {limit} 个字符",
        "en": "The search (q) is longer than {limit} characters",
    },
    "brief_no_cjk_font": {
        "zh": "找不到中文字体 Noto Sans CJK（Debian 软件包 fonts-noto-cjk，可运行 scripts/install-system-deps.sh 安装）",
        "en": "No Noto Sans CJK font (Debian package fonts-noto-cjk; scripts/install-system-deps.sh installs it)",
    },
    # --- wall screen (/wall, issue 15) ---
    "page_wall": {"zh": "大屏", "en": "Wall screen"},
    "wall_token_refused": {
        "zh": "此大屏链接的访问令牌无效或已被撤销，请联系管理员更换链接；也可以输入查看密码进入。",
        "en": "This wall link's access token is not valid or has been revoked; ask the admin for a new link, or enter the viewer password.",
    },
    "wall_screen_overview": {"zh": "总览", "en": "Overview"},
    "wall_screen_attention": {"zh": "需关注", "en": "Needs attention"},
    "wall_screen_league": {"zh": "部门赛马榜", "en": "League table"},
    "wall_screen_firsts": {"zh": "全省第一", "en": "Provincial No. 1"},
    "wall_period": {"zh": "{year}年度 {period}", "en": "{year} {period}"},
    "wall_scope_all": {"zh": "全部部门", "en": "All departments"},
    "wall_scope_filtered": {"zh": "已筛选：{what}", "en": "Filtered: {what}"},
    "wall_as_of": {"zh": "数据截至 {as_of}", "en": "Data as of {as_of}"},
    "wall_as_of_missing": {"zh": "数据截至：未注明", "en": "Data as of: not stated"},
    "wall_refreshed": {"zh": "刷新于 {time}", "en": "Refreshed {time}"},
    "wall_rotate_off": {"zh": "不轮播", "en": "Not rotating"},
    "wall_rotate_every": {"zh": "每 {seconds} 秒轮播", "en": "Every {seconds} s"},
    "wall_rotate_invalid": {
        "zh": "链接中的轮播间隔 rotate 无效（应为 0 表示不轮播，或 {low}–{high} 之间的整数秒），已按默认 {default} 秒轮播。",
        "en": "The link's rotate value is not valid (0 for no rotation, or whole seconds from {low} to {high}); rotating every {default} s.",
    },
    "wall_ignored": {"zh": "链接中的{params}无效，已忽略。", "en": "The link's {params} not valid, ignored."},
    "wall_attention_list": {"zh": "需关注（红灯在前，其次黄灯）", "en": "Needs attention (red first, then yellow)"},
    "wall_attention_more": {
        "zh": "另有 {n} 项需关注，见「需关注」屏。",
        "en": "{n} more: see the “Needs attention” screen.",
    },
    "wall_attention_none": {
        "zh": "没有需关注的目标：红灯、黄灯均为 0。",
        "en": "No goal needs attention: no red or yellow light.",
    },
    "wall_reason": {"zh": "原因", "en": "Why"},
    "wall_list_more": {"zh": "另有 {n} 项未列出，见驾驶舱页面。", "en": "{n} more not listed; see the dashboard."},
    "wall_league_more": {"zh": "另有 {n} 个部门未列出，见总览页。", "en": "{n} more departments on the overview page."},
    "wall_no_goals": {"zh": "没有符合筛选条件的目标。", "en": "No goal matches the filters."},
    "wall_data_problem": {
        "zh": "数据暂时无法读取（{problem}），大屏保留上次的内容并自动重试。",
        "en": "The data cannot be read just now ({problem}); the wall keeps its last content and retries.",
    },
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The text for ``key`` in ``lang`` (Chinese when a translation is missing)."""
    entry = TEXT[key]
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def status_label(status: str, lang: str = DEFAULT_LANG) -> str:
    """Icon and word, e.g. '⚠️ 难度较大'."""
    labels = STATUS_LABELS.get(lang, STATUS_LABELS[DEFAULT_LANG])
    return f"{STATUS_ICONS[status]} {labels[status]}"


def status_word(status: str, lang: str = DEFAULT_LANG) -> str:
    return STATUS_LABELS.get(lang, STATUS_LABELS[DEFAULT_LANG])[status]


def department_name(name_zh: str, lang: str = DEFAULT_LANG) -> str:
    if lang == "en":
        return DEPARTMENT_NAMES_EN.get(name_zh, name_zh)
    return name_zh


def theme_name(name_zh: str, name_en: str | None, lang: str = DEFAULT_LANG) -> str:
    if lang == "en" and name_en:
        return name_en
    return name_zh


def rank_text(scope: str | None, rank: int | None, is_top_n: bool | None, lang: str = DEFAULT_LANG) -> str:
    """'全省第1' or '全省前3' (scope stays as the source writes it)."""
    if rank is None:
        return ""
    key = "rank_text_top" if is_top_n else "rank_text_exact"
    return t(key, lang, scope=scope or "", rank=rank)


def period_label(period: str, lang: str = DEFAULT_LANG) -> str:
    if lang == "en":
        return PERIOD_LABELS_EN.get(period, period)
    return PERIOD_LABELS_ZH.get(period, period)


def light_word(light: str, period: str, lang: str = DEFAULT_LANG) -> str:
    """达到时序进度 … (running periods) or 完成目标 … (全年)."""
    labels = LIGHT_LABELS.get(lang, LIGHT_LABELS[DEFAULT_LANG])
    return labels["full_year" if period == FULL_YEAR else "running"][light]


def light_label(light: str, period: str, lang: str = DEFAULT_LANG) -> str:
    """Icon and words, e.g. '▲ 滞后于时序进度'."""
    return f"{LIGHT_ICONS[light]} {light_word(light, period, lang)}"
