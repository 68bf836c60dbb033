"""The service's routes, one router per area; `create_app` includes them in this order."""
from __future__ import annotations

from gongkai.service.routers import exports, extractions, operations, review

__all__ = ["ROUTERS"]

ROUTERS = [extractions.router, exports.router, operations.router, review.router]
