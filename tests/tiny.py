"""A tiny dataset that satisfies the contract, for tests that then break it on purpose."""

import polars as pl

from kpi.schema import TABLES, Dataset


def tiny_dataset() -> Dataset:
    result = "完成改造66个，超额完成6个，完成率110%，列全省第1。"
    return Dataset(
        departments=pl.DataFrame(
            [{"dept_id": "dept_a", "name": "市甲局", "full_name": "某市甲局", "sector": "综合经济", "sort_order": 1}],
            schema=TABLES["departments"],
        ),
        goals=pl.DataFrame(
            [
                {
                    "goal_id": "2022-dept_a-1",
                    "year": 2022,
                    "dept_id": "dept_a",
                    "seq": 1,
                    "title": "无障碍改造",
                    "result": result,
                    "status": "exceeded",
                    "status_reason": "叙述称超额完成",
                    "themes": ["livelihood"],
                }
            ],
            schema=TABLES["goals"],
        ),
        indicators=pl.DataFrame(
            [
                {
                    "indicator_id": "2022-dept_a-1-01",
                    "goal_id": "2022-dept_a-1",
                    "dept_id": "dept_a",
                    "year": 2022,
                    "name": "无障碍改造",
                    "value": 66.0,
                    "unit": "个",
                    "value_text": "66个",
                    "qualifier": None,
                    "target": 60.0,
                    "target_text": "60个",
                    "target_basis": "excess",
                    "completion_pct": 110.0,
                    "growth_pct": None,
                    "rank": 1,
                    "rank_scope": "全省",
                    "rank_is_top_n": False,
                    "higher_is_better": True,
                    "quote": "完成改造66个，超额完成6个，完成率110%，列全省第1",
                }
            ],
            schema=TABLES["indicators"],
        ),
        themes=pl.DataFrame(
            [{"theme_id": "livelihood", "name": "民生保障", "name_en": "Livelihood", "keywords": ["民生"]}],
            schema=TABLES["themes"],
        ),
    )
