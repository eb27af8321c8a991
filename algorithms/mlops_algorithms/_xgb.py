"""Import xgboost without dragging in scikit-learn.

Why: ``import xgboost`` imports scikit-learn (and through it scipy.stats and pandas) only to
define its optional sklearn-style estimators, which costs ~1 s of start-up on small machines;
we only use the Booster API.  Setting ``sys.modules['sklearn'] = None`` for the duration of the
import makes xgboost's optional-dependency probe fail cleanly (documented Python import
behaviour).  If scikit-learn is already imported (e.g. in tests) nothing is changed.
Consequence: ``xgboost.XGBRegressor`` is unusable in a process that imported xgboost this way.
"""

from __future__ import annotations

import sys
from types import ModuleType


def import_xgboost() -> ModuleType:
    """Return the xgboost module, imported without its scikit-learn integration when possible."""
    if "xgboost" in sys.modules:
        return sys.modules["xgboost"]
    block = "sklearn" not in sys.modules
    if block:
        sys.modules["sklearn"] = None  # type: ignore[assignment]
    try:
        import xgboost
    finally:
        if block and sys.modules.get("sklearn", 0) is None:
            del sys.modules["sklearn"]
    return xgboost
