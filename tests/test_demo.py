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
    # (the seed fixes the run on one machine; the kernels' vector width, and with it the
    # order of float32 sums, follows the CPU, so the last digits differ between machines)
    right = round(result.accuracy * 450)
    assert f"test accuracy: {100 * right / 450:.2f}% ({right} of 450" in out
    assert "the same predictions" in out
