"""A module-level name of the language code is bound once.

Twice a pass added a word list under a name its module already used (`_MONEY_WORDS`, `_HOW_MANY`, `_HAS_BECOME`): the
second binding silently replaced the first for every function that read it, and no labelled message showed it.
"""

from __future__ import annotations

import ast
from collections import Counter

from conftest import ROOT


def _module_level_names(tree: ast.Module) -> Counter[str]:
    names: Counter[str] = Counter()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] += 1
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] += 1
    return names


def test_no_module_level_name_of_the_language_code_is_bound_twice():
    rebound = {}
    for path in sorted((ROOT / "language").glob("*.py")):
        names = _module_level_names(ast.parse(path.read_text(encoding="utf-8")))
        twice = sorted(name for name, count in names.items() if count > 1)
        if twice:
            rebound[path.name] = twice
    assert rebound == {}
