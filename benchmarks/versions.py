"""Before and after: the benchmark scripts against an older revision and the working tree,
in one run, alternating A, B, A, B so that the machine's load falls on both alike.

Run: python benchmarks/versions.py REV [script ...]   (default: cpu_core eager train_step)

REV is exported with `git archive` to a temporary directory; each script runs in its own
process with that tree first on `sys.path`, then with this one.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPTS = ["cpu_core.py", "eager.py", "train_step.py"]


def export(rev: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def run(script: str, tree: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, str(HERE / script)], env=env, cwd=tree,
                          capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else done.stdout + done.stderr


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rev, scripts = sys.argv[1], sys.argv[2:] or SCRIPTS
    with tempfile.TemporaryDirectory(prefix="mxjit-before-") as tmp:
        before = Path(tmp)
        export(rev, before)
        for script in scripts:
            for round_ in (1, 2):
                for label, tree in ((f"before ({rev})", before), ("after (working tree)", ROOT)):
                    print(f"## {script}, {label}, round {round_}\n")
                    print(run(script, tree))


if __name__ == "__main__":
    main()
