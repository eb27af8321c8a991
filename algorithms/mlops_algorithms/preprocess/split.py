"""Deterministic train/validation/test split.

Why numpy ``default_rng(seed).permutation``: the split must be reproducible from the seed alone
(recorded in the schema), independent of library versions that change shuffling algorithms.
"""

from __future__ import annotations

import numpy as np

from ..contract import ClientError


def split_sizes(n: int, validation_fraction: float, test_fraction: float) -> dict[str, int]:
    """Rows per split of ``n`` rows: test round(n*test), validation round(n*val), train the rest."""
    for name, frac in (("validation-fraction", validation_fraction), ("test-fraction", test_fraction)):
        if not 0.0 <= frac < 1.0:
            raise ClientError(f"--{name} must be in [0, 1), got {frac}")
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * validation_fraction))
    return {"train": n - n_test - n_val, "validation": n_val, "test": n_test}


def split_indices(n: int, seed: int, validation_fraction: float, test_fraction: float) -> dict[str, np.ndarray]:
    """Test = first round(n*test) of the permutation, validation = next round(n*val), train = rest.

    Each split keeps the source order (sorted indices) so files are easy to diff.
    """
    if seed < 0:
        raise ClientError(f"--seed must be a non-negative integer, got {seed}")
    sizes = split_sizes(n, validation_fraction, test_fraction)
    n_test, n_val = sizes["test"], sizes["validation"]
    if sizes["train"] < 1:
        raise ClientError(
            f"split leaves no training rows: {n} rows, {n_val} validation and {n_test} test"
        )
    perm = np.random.default_rng(seed).permutation(n)
    return {
        "train": np.sort(perm[n_test + n_val:]),
        "validation": np.sort(perm[n_test:n_test + n_val]),
        "test": np.sort(perm[:n_test]),
    }
