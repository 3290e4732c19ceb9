"""The settings gunicorn runs with in `python -m bench load`: production's, with the benchmark's ceiling
view routed beside the app's pages. A module of bench/ whose name starts with an underscore, so that
`python -m bench` does not take it for a benchmark (importing it needs production's secrets)."""

from carecrm.settings.production import *  # noqa: F403
from carecrm.settings.production import CACHES, env

# The ceiling view stays out of carecrm.urls: every route there must have a rule in the permission
# matrix, and this one is no part of the app.
ROOT_URLCONF = "bench._load_urls"

# Every key the run writes (rate-limit counters, throttle histories) carries the run's own prefix, so the
# benchmark deletes exactly its own keys afterwards and a second run never counts against the first's.
CACHES = {**CACHES, "default": {**CACHES["default"], "KEY_PREFIX": env.str("BENCH_CACHE_KEY_PREFIX")}}
