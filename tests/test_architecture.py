"""The layers of DESIGN.md, checked on the source: no import circle, no import pointing up, no file too long.

Every ``import`` and ``from ... import`` in ``src/mediaproc`` counts, wherever it stands: at module
level, inside a function (a lazy import still runs), and under ``if TYPE_CHECKING:`` (a type-only
edge still ties two modules together for a reader and for the type checker).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "mediaproc"

# DESIGN.md, "Layers", top to bottom. A module may import from its own layer or any layer below it.
# The core modules (config, errors, i18n, ...) are the bottom layer; anything not named here is core.
LAYERS: dict[str, int] = {
    "__main__": 8,
    "cli": 8,
    "output": 7,
    "services": 6,
    "emulator": 5,
    "addressing": 4,
    "providers": 3,
    "engine": 2,
    "ops": 1,
}
MAX_LINES = 600
WHY_ONE_FILE = "Why one file:"


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module (or package) a dotted name lands in: the longest known prefix."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """Every mediaproc module that ``module`` imports, by any kind of import statement."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # ``from pkg import name``: name may be a submodule (an edge to it) or an attribute (to pkg).
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "mediaproc" or target.startswith("mediaproc."):
                resolved = _resolve(target)
                if resolved and resolved != module:
                    found.add(resolved)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # iterative DFS: the import graph is deep enough to worry about the recursion limit
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    """The checker itself: lazy, TYPE_CHECKING and relative imports are all edges."""
    assert "mediaproc.names" in GRAPH["mediaproc.providers"]  # a plain module-level import
    # a lazy import inside a function (cli.session imports services.process only when a command runs)
    assert "mediaproc.services.process" in GRAPH["mediaproc.cli.session"]
    # an import under TYPE_CHECKING (the image pipeline names Op only for the type checker)
    assert "mediaproc.ops.model" in GRAPH["mediaproc.engine.image.pipeline"]


def test_cycle_finder_finds_a_known_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle() -> None:
    found = cycles(GRAPH)
    assert found == [], "import circles (break each by moving what both need one layer down):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def test_no_import_points_up_the_layers() -> None:
    upward = sorted(
        f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if layer(target) > layer(module)
    )
    assert upward == [], "imports against DESIGN.md's layer order:\n" + "\n".join(upward)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_source_file_is_too_long(module: str) -> None:
    """A file over MAX_LINES says why it must be one file in its opening docstring."""
    path = MODULES[module]
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    if lines <= MAX_LINES:
        return
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert WHY_ONE_FILE in docstring, (
        f"{path.relative_to(SRC)} has {lines} lines (limit {MAX_LINES}); split it along its seams, or say "
        f"{WHY_ONE_FILE!r} in its opening docstring"
    )


def test_only_providers_import_cloud_sdks() -> None:
    """DESIGN.md: only providers/<name>/ imports its SDK (the emulator speaks the wire, never the SDK)."""
    sdk_roots = {"oss2": "oss", "qcloud_cos": "cos", "alibabacloud_imm20200930": "oss",
                 "alibabacloud_credentials": "oss", "alibabacloud_tea_openapi": "oss"}
    wrong: list[str] = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                root = name.split(".")[0]
                if root in sdk_roots and not module.startswith(f"mediaproc.providers.{sdk_roots[root]}"):
                    wrong.append(f"{module} imports {name}")
    assert wrong == [], "\n".join(wrong)
