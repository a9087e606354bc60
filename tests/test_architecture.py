"""The house's import rules, read from the code: no import cycles, no arrow running back up.

Every module under ``src/kaizen_eval`` is parsed with :mod:`ast`; every import statement counts,
at module level and inside functions (``import a.b``, ``from a import b`` with ``b`` a module
or a name, relative imports resolved). The rules are those of ``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "kaizen_eval"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE

#: Import cycles tolerated for now: none. (The two that issue 12 found, ri.py <-> ri_family.py
#: and waves/panel -> codebook -> io -> pii -> panel, are gone.) Any cycle fails.
KNOWN_CYCLES_BEING_REMOVED: tuple[frozenset[str], ...] = ()

#: Who may import the top-level package (``import kaizen_eval`` / ``from kaizen_eval import x``
#: with ``x`` not a module): the command line and the pipeline, which call the public API.
TOP_IMPORTERS = ("kaizen_eval.cli", "kaizen_eval.__main__", "kaizen_eval.pipeline")

#: The numerical core stands on these only (and on NumPy, SciPy and pandas).
CORE_MAY_IMPORT = ("kaizen_eval._core", "kaizen_eval._validation", "kaizen_eval._progress",
                   "kaizen_eval._version", "kaizen_eval._docs")  # fmt: skip

#: (importer, imported) prefixes that must never be joined by an arrow.
FORBIDDEN = (
    ("kaizen_eval.design", "kaizen_eval.estimate"),
    ("kaizen_eval.estimate", "kaizen_eval.design"),
    ("kaizen_eval.estimate", "kaizen_eval.report"),
    ("kaizen_eval.estimate", "kaizen_eval.pipeline"),
    ("kaizen_eval.estimate", "kaizen_eval.cli"),
)


#: The floors of the house (``docs/architecture.md``): an import goes to a lower floor, or stays
#: inside its own stage; two stages on one floor do not import each other.
FLOORS = {
    "_validation": 0,  # the foundation: errors and checks, imported by everyone
    "_docs": 0,  # shared docstring fragments, imported by everyone
    "_progress": 1,
    "_version": 1,
    "_atomic": 1,
    "_format": 1,  # numbers, labels and missing cells written for a reader
    "_render": 1,  # a small table model rendered to text, Markdown, LaTeX and HTML
    "_plot": 1,  # drawing shared by the figures (intervals, colours)
    "_core": 2,
    "waves": 2,
    "scores": 3,
    "design": 4,
    "estimate": 4,
    "synthetic": 4,
    "costbenefit": 5,
    "report": 5,
    "studies": 5,
    "": 6,  # the top-level package: it re-exports every stage's public names
    "pipeline": 7,
    "cli": 8,
    "__main__": 9,
}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def discover(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Map every module name of the package at ``root`` to (its file, whether a package)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join([package, *parts])] = (path, is_pkg)
    return out


def _resolve(name: str, modules: Iterable[str]) -> str | None:
    """The longest known module that ``name`` is, or lies inside."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, is_pkg: bool, modules: dict) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if is_pkg else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            # ``from a import b``: the module a.b if there is one, else a name of a
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            hit = _resolve(target, modules)
            if hit is not None and hit != module:
                found.add(hit)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Arrows ``importer -> imported`` between the modules of the package at ``root``."""
    modules = discover(root, package)
    return {m: imports_of(m, path, is_pkg, modules) for m, (path, is_pkg) in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.add(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def violations(
    graph: dict[str, set[str]],
    package: str = PACKAGE,
    known_cycles: tuple[frozenset[str], ...] = KNOWN_CYCLES_BEING_REMOVED,
) -> list[str]:
    """Every broken rule, one line each (empty when the house is in order)."""
    rename = (lambda s: package + s[len(PACKAGE) :]) if package != PACKAGE else (lambda s: s)
    out = [
        f"{m} stands on no floor: add {_stage(m)!r} to FLOORS (and docs/architecture.md)"
        for m in sorted(graph)
        if _stage(m) not in FLOORS
    ]
    for component in cycles(graph):
        if component not in {frozenset(map(rename, c)) for c in known_cycles}:
            out.append("import cycle: " + " <-> ".join(sorted(component)))
    for importer, imported in sorted((a, b) for a, bs in graph.items() for b in bs):
        for low, high in FORBIDDEN:
            if _within(importer, rename(low)) and _within(imported, rename(high)):
                out.append(f"{importer} imports {imported} ({rename(low)} -> {rename(high)})")
        if _within(importer, rename("kaizen_eval._core")) and not any(
            _within(imported, rename(p)) for p in CORE_MAY_IMPORT
        ):
            out.append(f"{importer} imports {imported} (the core imports only itself)")
        low_stage, high_stage = _stage(importer), _stage(imported)
        if low_stage != high_stage and {low_stage, high_stage} <= set(FLOORS):
            floor_a, floor_b = FLOORS[low_stage], FLOORS[high_stage]
            if floor_b >= floor_a:
                out.append(
                    f"{importer} imports {imported}: an arrow back up "
                    f"(floor {floor_a} -> floor {floor_b})"
                )
        if imported == package and importer != package:
            if not any(_within(importer, rename(p)) for p in TOP_IMPORTERS):
                out.append(f"{importer} imports the top-level package {package}")
    return out


def test_the_house_keeps_its_import_rules():
    graph = import_graph(SRC, PACKAGE)
    assert len(graph) > 80  # the whole package was read
    assert violations(graph) == []


def test_design_and_estimate_stand_on_the_core():
    graph = import_graph(SRC, PACKAGE)
    assert "kaizen_eval._core.linear" in graph["kaizen_eval.design.simulate"]
    assert "kaizen_eval._core.engine" in graph["kaizen_eval.estimate.ri_statistic"]
    assert not any(m.startswith("kaizen_eval.estimate.") for m in graph if "linear" in m)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "fakepkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_finds_cycles_back_arrows_and_top_level_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "design/__init__.py": "",
            "design/a.py": "def f():\n    from fakepkg.estimate import b\n",  # in a function
            "estimate/__init__.py": "from .b import g\n",
            "estimate/b.py": "from ..design.a import f\n",  # relative, and a cycle with a
            "_core/__init__.py": "",
            "_core/c.py": "import fakepkg.waves.x\n",
            "waves/__init__.py": "",
            "waves/x.py": "def h():\n    import fakepkg as top\n",
            "pipeline/__init__.py": "from fakepkg import design\nimport fakepkg\n",
            "ok.py": "from fakepkg import _core\n",
        },
    )
    graph = import_graph(root, "fakepkg")
    assert graph["fakepkg.design.a"] == {"fakepkg.estimate.b"}
    assert graph["fakepkg.estimate"] == {"fakepkg.estimate.b"}
    assert graph["fakepkg.pipeline"] == {"fakepkg.design", "fakepkg"}
    found = violations(graph, package="fakepkg", known_cycles=())
    assert found == [
        "fakepkg.ok stands on no floor: add 'ok' to FLOORS (and docs/architecture.md)",
        "import cycle: fakepkg.design.a <-> fakepkg.estimate.b",
        "fakepkg._core.c imports fakepkg.waves.x (the core imports only itself)",
        "fakepkg._core.c imports fakepkg.waves.x: an arrow back up (floor 2 -> floor 2)",
        "fakepkg.design.a imports fakepkg.estimate.b (fakepkg.design -> fakepkg.estimate)",
        "fakepkg.design.a imports fakepkg.estimate.b: an arrow back up (floor 4 -> floor 4)",
        "fakepkg.estimate.b imports fakepkg.design.a (fakepkg.estimate -> fakepkg.design)",
        "fakepkg.estimate.b imports fakepkg.design.a: an arrow back up (floor 4 -> floor 4)",
        "fakepkg.waves.x imports fakepkg: an arrow back up (floor 2 -> floor 6)",
        "fakepkg.waves.x imports the top-level package fakepkg",
    ]
    # an allowed cycle is allowed only as it stands
    cycle = frozenset({"kaizen_eval.design.a", "kaizen_eval.estimate.b"})
    assert not any("cycle" in v for v in violations(graph, "fakepkg", known_cycles=(cycle,)))
    larger = frozenset({*cycle, "kaizen_eval.estimate"})
    assert any("cycle" in v for v in violations(graph, "fakepkg", known_cycles=(larger,)))
