"""checks.py's checks that no other test file covers on its own."""

from pathlib import Path

import pytest

from mlp_lib.checks import check_model_path


def test_a_model_path_must_end_in_npz():
    assert check_model_path("models/best.npz") == Path("models/best.npz")
    with pytest.raises(ValueError, match=r"^model files end in .npz, got 'out/m.pkl'; try m.npz$"):
        check_model_path("out/m.pkl")
    with pytest.raises(ValueError, match=r"got 'm'; try m.npz$"):
        check_model_path(Path("m"))
