"""`make demo`: the CNN learns the digits through the DataLoader and the Fit API, and a
fresh network loaded from the saved parameters predicts the same."""
from __future__ import annotations

from mxjit import demo


def test_the_demo_reaches_97_percent_and_reloads(capsys):
    result = demo.main()
    out = capsys.readouterr().out
    assert result.accuracy >= 0.97 and result.reload_matches
    assert "1,347 training and 450 held-out test images" in out
    assert "[Epoch 9] loss" in out  # standard output is no terminal: lines, not bars
    assert "test accuracy: 99.11% (446 of 450" in out  # the seed fixes it
    assert "the same predictions" in out
