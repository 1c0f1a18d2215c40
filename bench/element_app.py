"""The bare page plus ``KPI_BENCH_COUNT`` elements of one kind (``KPI_BENCH_KIND``): what that
kind of element costs the browser (``python -m bench.element_costs``)."""

import os

import streamlit as st

OPTIONS = ["甲", "乙", "丙"]
SPARKLINE = [1, 3, 2, 5, 4, 6, 5, 7, 6, 8, 7, 9]


def draw(kind: str, i: int) -> None:
    if kind == "metric":
        st.metric(f"指标{i}", i, border=True)
    elif kind == "metric_help":
        st.metric(f"指标{i}", i, border=True, help="说明")
    elif kind == "sparkline":
        st.metric(f"指标{i}", i, border=True, chart_data=SPARKLINE)
    elif kind == "multiselect":
        st.sidebar.multiselect(f"选择{i}", OPTIONS, key=f"multiselect{i}")
    elif kind == "selectbox":
        st.sidebar.selectbox(f"选择{i}", OPTIONS, key=f"selectbox{i}")
    elif kind == "radio":
        st.sidebar.radio(f"单选{i}", OPTIONS[:2], key=f"radio{i}")
    elif kind == "text_input":
        st.sidebar.text_input(f"输入{i}", key=f"text{i}")
    elif kind == "expander":
        with st.expander(f"展开 {i}"):
            st.markdown(f"内容 **{i}**")
    elif kind == "toggle":
        st.toggle(f"开关{i}", key=f"toggle{i}")
    elif kind == "html":
        st.html(f"<p>段落 <b>{i}</b></p>")
    elif kind == "caption":
        st.caption(f"说明文字 {i}")
    elif kind == "subheader":
        st.subheader(f"小标题 {i}")


st.title("湖州市直部门目标驾驶舱")
for index in range(int(os.environ.get("KPI_BENCH_COUNT", "0"))):
    draw(os.environ.get("KPI_BENCH_KIND", ""), index)
