"""The house's layout: imports run from higher layers to lower ones only and never in a
circle (type-checking imports included), no file grows past 600 lines nor a function body
past 80, and every forecaster in seqcast.models is registered (so the contract suite in
test_models.py covers it)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import pytest
from conftest import REPO

import seqcast.models
from seqcast.models.base import Forecaster
from seqcast.models.conformal import Conformal
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import list_models, model_class

SOURCE = REPO / "src" / "seqcast"

# Lowest first. A module may import its own layer and those below, never one above.
LAYERS = [
    # pure helpers: errors, result folders, progress, parameter types
    ["seqcast.errors", "seqcast.results", "seqcast.progress", "seqcast.parameters"],
    ["seqcast.engines"],  # where independent work runs: local processes or Ray
    ["seqcast.evaluation.metrics", "seqcast.version"],
    ["seqcast.data"],  # loading, sources, transforms, windows, splits
    ["seqcast.plots", "seqcast.report"],  # pictures and the HTML page
    ["seqcast.analysis"],  # statistics of one series
    # torch modules, checkpoint files, devices and precision
    ["seqcast.networks", "seqcast.checkpoint", "seqcast.devices"],
    ["seqcast.training", "seqcast.train_config"],
    ["seqcast.models"],  # forecasters and their registry
    ["seqcast.evaluation", "seqcast.explain", "seqcast.runs", "seqcast.export"],
    ["seqcast.experiments", "seqcast.tuning"],
    ["seqcast.cli"],
    ["seqcast"],  # the package itself: the public API
]


def layer(module: str) -> int:
    """The layer of the longest prefix in LAYERS that names ``module`` or a package of it."""
    best, depth = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > depth:
                best, depth = index, len(prefix)
    assert best >= 0, f"{module} is in no layer of test_layout.LAYERS"
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every seqcast module ``path`` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.split(".")[0] == "seqcast"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "seqcast":
            for alias in node.names:  # `from seqcast.evaluation import metrics` is a module
                candidate = f"{node.module}.{alias.name}"
                is_module = (SOURCE.parent / candidate.replace(".", "/")).with_suffix(".py")
                names.add(candidate if is_module.is_file() else str(node.module))
    return names


SOURCES = sorted(SOURCE.rglob("*.py"))
MODULES = {module_name(path) for path in SOURCES}


def dependencies() -> dict[str, set[str]]:
    """Each module of the package and the modules of it that it imports (its package's
    ``__init__`` when it names the package), by the longest module name that matches."""

    def known(name: str) -> str:
        while name not in MODULES:
            name = name.rpartition(".")[0]
        return name

    return {
        module_name(path): {known(name) for name in imported(path)} - {module_name(path)}
        for path in SOURCES
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected parts of more than one
    module, or a module that imports itself (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                part.append(member)
                if member == node:
                    break
            if len(part) > 1 or node in graph[node]:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_imports_in_no_circle() -> None:
    assert cycles(dependencies()) == []


def test_a_circle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]


def test_no_function_body_is_over_80_lines() -> None:
    long = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:]  # the docstring
                if body and (size := body[-1].end_lineno - body[0].lineno + 1) > 80:
                    long[f"{module_name(path)}.{node.name}"] = size
    assert not long


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_run_from_higher_layers_to_lower_ones(path: Path) -> None:
    own = module_name(path)
    backwards = [name for name in imported(path) if layer(name) > layer(own)]
    assert not backwards, f"{own} (layer {layer(own)}) imports {backwards}"


def test_no_file_is_over_600_lines() -> None:
    files = [*SOURCES, *(REPO / "tests").glob("*.py"), *(REPO / "benchmarks").glob("*.py")]
    long = {
        str(f.relative_to(REPO)): n for f in files if (n := len(f.read_text().splitlines())) > 600
    }
    assert not long


def test_every_forecaster_in_the_models_package_is_registered() -> None:
    abstract = {Forecaster, NeuralForecaster, Conformal}  # Conformal wraps a registered model
    found = []
    for info in pkgutil.iter_modules(seqcast.models.__path__):
        module = importlib.import_module(f"seqcast.models.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Forecaster)
                and value.__module__ == module.__name__
                and value not in abstract
                and not value.__name__.startswith("_")
                and dataclasses.is_dataclass(value)
            ):
                found.append(value)
    assert len(found) == len(list_models())
    for cls in found:
        assert model_class(cls.name) is cls, f"{cls.__qualname__} is not registered"
