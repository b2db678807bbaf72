"""`scoring` is pure: importing and using it loads neither telegram nor sqlalchemy."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import scoring
from scoring import BranchInput, default_rubric, score_branch
result = score_branch(default_rubric(), BranchInput("rural", {"team.study": "full"}))
result.missing, result.provisional
print(json.dumps(sorted(name for name in sys.modules
                        if name.split(".")[0] in ("telegram", "sqlalchemy", "typer"))))
"""


def test_scoring_imports_without_telegram_sqlalchemy_or_typer() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []
