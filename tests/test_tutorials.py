"""The tutorials run as written (each checks its own results with asserts)."""
import pathlib
import runpy

import pytest

TUTORIALS = sorted((pathlib.Path(__file__).parents[1] / "tutorials").glob("*.py"))


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert "NDArray" in capsys.readouterr().out
