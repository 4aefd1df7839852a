"""The layout's rules, checked over the whole tree: no import cycle, and dependencies point one way.

Every project module (the root's files and the packages, not tests, bench or migrations) is
parsed with `ast`; every import counts, including those inside functions (they run too, and
a cycle through them is still a cycle). `from package import name` counts as an import of
the submodule when `name` is one. The allowed direction is web and CLI → services →
queue and models (../README.md "Code layout"); the rules below name the arrows that must
not exist.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from conftest import ROOT

NOT_CODE = {"tests", "bench", "migrations", ".venv", "venv", "instance", "static", "templates", "docs", "deploy"}

# (importer prefix, imported prefix): no module under the first may import one under the second.
FORBIDDEN = [
    *(("scheduler", above) for above in ("inbound", "outbound", "web", "cli", "language", "runtime.context",
                                         "chatbot_service", "broadcast_service", "webhook_handler")),
    *(("database_models", above) for above in ("inbound", "outbound", "web", "cli", "language", "campaigns",
                                               "runtime", "scheduler", "webhook_handler")),
    *((below, above) for below in ("inbound", "outbound", "language", "campaigns", "scheduler", "chatbot_service",
                                   "broadcast_service", "analytics_service", "whatsapp_service", "runtime",
                                   "accounts")
      for above in ("web", "cli", "webhook_handler")),
    *((lower, "runtime.context") for lower in ("inbound", "outbound", "language", "campaigns", "scheduler",
                                               "chatbot_service", "broadcast_service", "analytics_service",
                                               "whatsapp_service")),
    *(("queueing", above) for above in ("scheduler", "inbound", "outbound", "web", "cli", "language", "campaigns",
                                        "runtime", "chatbot_service", "broadcast_service", "webhook_handler")),
    *(("analytics", above) for above in ("analytics_service", "scheduler", "inbound", "outbound", "web", "cli",
                                         "language", "campaigns", "runtime", "chatbot_service", "broadcast_service",
                                         "webhook_handler")),
    ("cli", "web"),
    ("cli", "webhook_handler"),  # the app registers the commands: the arrow runs one way only
    ("language", "outbound"),
    ("campaigns", "outbound"),
    # Outbound webhooks sit with the services: the emitters import them, never the other way.
    *(("integrations", above) for above in ("web", "cli", "webhook_handler", "runtime.context", "inbound", "outbound",
                                            "campaigns", "language", "chatbot_service", "broadcast_service",
                                            "scheduler", "queueing")),
]
# Leaves: they import no project module at all, so everything may import them.
LEAVES = ("runtime.app_logging", "runtime.metrics", "runtime.process_environment", "config", "whatsapp_service",
          "database_models")
# A leaf facade's own package: the facade may import it, and its modules import only each other.
LEAF_PARTS = {"whatsapp_service": "graph_api", "database_models": "models"}
# Arrows a rule above would refuse that are the point of their module.
ALLOWED = {
    ("runtime.preflight", "webhook_handler"),  # gunicorn's check, in a child process, that the app builds
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the application, by dotted name."""
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in NOT_CODE or relative.parts[0].startswith("."):
            continue
        if path.name.endswith(".conf.py"):  # gunicorn.conf.py is a settings file, not an importable module
            continue
        found[module_name(path)] = path
    return found


def imports_of(source: str, name: str, known: Iterable[str]) -> set[str]:
    """The project modules `source` (module `name`) imports anywhere in its body."""
    known = set(known)
    package = name if f"{name}.__init__" in known else name.rpartition(".")[0]
    targets = set()
    tree = ast.parse(source)
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                 for statement in node.body for inner in ast.walk(statement)}
    for node in ast.walk(tree):
        if id(node) in type_only:  # `if TYPE_CHECKING:` imports never run
            continue
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)] if package else []
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:  # `import a.b.c` of a package path: the deepest module
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path.read_text(encoding="utf-8"), name, modules) for name, path in modules.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def forbidden_edges(graph: Mapping[str, Iterable[str]]) -> list[str]:
    problems = []
    for importer, targets in sorted(graph.items()):
        for target in sorted(targets):
            for low, high in FORBIDDEN:
                if (under(importer, low) and under(target, high) and not under(importer, high)
                        and (importer, target) not in ALLOWED):
                    problems.append(f"{importer} imports {target} ({low} must not import {high})")
            part = LEAF_PARTS.get(importer) or next((p for p in LEAF_PARTS.values() if under(importer, p)), None)
            if (importer in LEAVES or part) and not (part and under(target, part)):
                problems.append(f"{importer} imports {target} (a leaf imports no project module)")
    return problems


def test_the_walk_finds_the_packages_and_the_root_files():
    graph = import_graph()
    for name in ("webhook_handler", "scheduler", "inbound.ingestion", "outbound.processor", "web.api",
                 "web.dashboard.inbox", "cli.commands", "runtime.context", "language.nlp", "campaigns.contacts"):
        assert name in graph
    assert "inbound.ingestion" in graph["webhook_handler"]
    assert "queueing.status_moves" in graph["inbound.ingestion"]


def test_function_level_imports_count_and_type_checking_ones_do_not():
    source = "def later():\n    from b import thing\n"
    assert imports_of(source, "a", {"a", "b"}) == {"b"}
    typing_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from b import Thing\n"
    assert imports_of(typing_only, "a", {"a", "b"}) == set()


def test_there_is_no_import_cycle():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_cycle_finder_finds_a_cycle(graph, expected):
    assert cycles(graph) == expected


def test_dependencies_point_one_way():
    assert forbidden_edges(import_graph()) == []


def test_a_forbidden_arrow_is_reported():
    assert forbidden_edges({"scheduler": {"inbound.ingestion"}, "runtime.metrics": {"database_models"}}) == [
        "runtime.metrics imports database_models (a leaf imports no project module)",
        "scheduler imports inbound.ingestion (scheduler must not import inbound)",
    ]


def test_the_root_holds_the_cards_files_and_the_entry_points_only():
    root_modules = {path.name for path in ROOT.glob("*.py")}
    assert root_modules == {
        "webhook_handler.py", "database_setup.py", "database_models.py", "scheduler.py", "broadcast_service.py",
        "chatbot_service.py", "analytics_service.py", "whatsapp_service.py", "run_broadcast_processor.py",
        "config.py", "tasks.py", "gunicorn.conf.py",
    }
