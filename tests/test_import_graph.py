"""No import cycles inside blink_mqtt/, counting imports inside functions and under
TYPE_CHECKING; `account/` does not reach into `archive/`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "blink_mqtt"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(name: str) -> set[str]:
    """Every module of ours that `name` imports, anywhere in its source. `from p import m`
    depends on the submodule `p.m` when there is one, else on `p`."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert cycles() == []


def test_the_account_does_not_import_the_archive() -> None:
    for name, imported in GRAPH.items():
        if name.startswith("blink_mqtt.account"):
            assert not {m for m in imported if m.startswith("blink_mqtt.archive")}, name


def test_the_graph_sees_imports_inside_functions_and_type_checking() -> None:
    assert "blink_mqtt.simulator" in GRAPH["blink_mqtt.account.session"]  # inside a function
    assert "blink_mqtt.account" in GRAPH["blink_mqtt.context"]  # under TYPE_CHECKING


def test_blinks_failures_are_told_from_our_bugs_by_where_they_were_raised() -> None:
    import aiohttp
    import pytest
    from blinkpy.helpers import util

    from blink_mqtt.account import faults

    with pytest.raises((TypeError, AttributeError)) as blinkpys:
        util.validate_login_data(None)  # blinkpy itself fails on what it was handed
    assert faults.is_blinks(blinkpys.value)
    empty: dict[str, int] = {}
    with pytest.raises(KeyError) as ours:
        _ = empty["ours"]  # a bug of ours
    assert not faults.is_blinks(ours.value)
    assert faults.is_blinks(aiohttp.ClientConnectionError("gone"))
    assert faults.is_blinks(TimeoutError())
