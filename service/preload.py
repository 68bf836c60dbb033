"""Imported by the service's fork server (`service.jobs`) before it forks any job: the engine's
once-per-process loading (`models.registry.warm_up`) is done there once, so every job's child
starts warm instead of paying it again (≈ 0.4 s a job: most of a text report's time), the token
classifier's session included — single-threaded, since jobs run side by side, one core each.

The labeller warmed is the one the service's settings name (`Settings.from_env`); a failure here
only costs the children their warm start, so it is logged, never raised."""
from __future__ import annotations

import logging

from gongkai.models.registry import warm_up
from gongkai.service.config import Settings

try:
    _settings = Settings.from_env()
    warm_up(_settings.labeller, network_threads=1, **{k: v for k, v in _settings.pipeline_options.items()
                                                      if k in ("model_mode", "calibration")})
except Exception:  # noqa: BLE001 - see the module doc
    logging.getLogger("gongkai.jobs").warning("the fork server could not warm the engine", exc_info=True)
