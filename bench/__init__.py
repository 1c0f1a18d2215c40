"""The benchmark and the load scripts (``python -m bench``, ``python -m bench.load_browsers``,
``python -m bench.load_sessions``): figures for docs/performance.md, never assertions."""

from streamlit.logger import get_logger

# Importing the app's modules outside a server: Streamlit's caches say so once per function.
get_logger("streamlit.runtime.caching.cache_data_api").setLevel("ERROR")
