"""The architecture rules as code: no import cycles, and dependencies only down the layer order.

    common ← accounts ← org ← owners ← feedback ← visits ← surveys ← quality ← reporting ← analytics

(README, "Architecture in five minutes"). An app may depend on the apps to its left, never on one to its
right or on a sibling of its own layer; `notifications` and `api` are plumbing that may depend on `common`
only (and every app but `common` may use them); `config` and `demo` wire everything together and may
depend on anything; nothing else depends on `analytics`; nothing but `config` and `demo` depends on
`config` or `demo`. Apps not written yet are simply absent.

A dependency is an `import` or `from … import` anywhere in a module (inside functions too), or a string
that reaches into another app: `apps.get_model("owners", "Occupancy")` / `apps.get_model("owners.Occupancy")`,
a lazy model reference (`ForeignKey("owners.Resident")`), and a URL name in another app's namespace
(`reverse("owners:portal")`, `reverse_lazy`, `redirect`, `resolve_url`, or a `{% url %}` tag inside a
Python string; namespaces are the `app_name` of each app's URL modules). Templates may link
anywhere: a template is not an import. Tests and migrations are left out.

Read by the source only (the AST); nothing is imported, so a tiny tree in a temporary directory can be
checked as well as the real package (estatedesk/common/tests/test_layers.py).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # estatedesk/

# Left to right: an app may depend on the apps of the layers before its own.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"common"}),
    frozenset({"accounts"}),
    frozenset({"org"}),
    frozenset({"owners"}),
    frozenset({"feedback"}),
    frozenset({"visits"}),  # return visits and client visits (R-RV, R-CS-1)
    frozenset({"surveys"}),  # surveys are checked by return visits (R-RV-1)
    frozenset({"quality"}),  # nonconformities from visits, surveys, items (R-RV-4); ADR 0015
    frozenset({"reporting"}),
    frozenset({"analytics"}),
)
PLUMBING = frozenset({"notifications", "api"})  # may depend on common only
WIRING = frozenset({"config", "demo"})  # may depend on anything
UNREACHABLE = frozenset({"analytics"})  # nothing but the wiring depends on it

_RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}
LAYER_ORDER = " ← ".join(
    next(iter(layer)) if len(layer) == 1 else "{" + ", ".join(sorted(layer)) + "}" for layer in LAYERS
)
_URL_CALLS = frozenset({"reverse", "reverse_lazy", "redirect", "resolve_url"})
_MODEL_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
_URL_TAG = re.compile(r"""\{%\s*url\s+["']([\w-]+):""")


@dataclass(frozen=True)
class Reference:
    """One dependency of a module: on another module (an import) or on an app (a string reach-in)."""

    source: str  # dotted module name
    target: str  # dotted module name, or the app's package for a string reach-in
    line: int
    how: str  # "import", or the reach-in as written, e.g. reverse("owners:portal")


@dataclass(frozen=True)
class Violation:
    source: str
    target: str
    rule: str
    line: int
    how: str

    def __str__(self) -> str:
        detail = f"{self.how}, line {self.line}" if self.how != "import" else f"line {self.line}"
        return f"{self.source} -> {self.target} ({self.rule}; {detail})"


# --- the modules --------------------------------------------------------------------------------------------


def _is_left_out(parts: tuple[str, ...]) -> bool:
    return (
        "tests" in parts
        or "migrations" in parts
        or parts[-1].startswith("test_")
        or parts[-1] in {"conftest", "tests"}
    )


def find_modules(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package but tests and migrations."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if _is_left_out(parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def app_of(module: str, modules: Mapping[str, Path]) -> str | None:
    """The app a module belongs to (`estatedesk.owners.views` → `owners`); None for the package itself
    and its top-level modules (`estatedesk.cli`), which wire things together like `config`."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    top = modules.get(".".join(parts[:2]))
    return parts[1] if top is None or top.name == "__init__.py" else None


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError:
        return None


# --- imports ------------------------------------------------------------------------------------------------


class _Resolver:
    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules
        self.package = next(iter(modules)).split(".")[0] if modules else ""

    def resolve(self, name: str) -> str | None:
        """The module an imported name lives in: the longest prefix that is one of our modules."""
        if name.split(".")[0] != self.package:
            return None
        while name:
            if name in self.modules:
                return name
            name = name.rpartition(".")[0]
        return None

    def absolute(self, module: str, node: ast.ImportFrom) -> str:
        """`from ..x import y` in `module` → the absolute name of `..x`."""
        if not node.level:
            return node.module or ""
        is_package = self.modules[module].name == "__init__.py"
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join([*base, node.module] if node.module else base)


def _import_targets(resolver: _Resolver, module: str, node: ast.AST) -> Iterator[tuple[str, bool]]:
    """Modules an import statement loads, each with whether it is the named one (False for the package
    that `from package import submodule` runs on the way)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if (target := resolver.resolve(alias.name)) is not None:
                yield target, True
    elif isinstance(node, ast.ImportFrom):
        origin = resolver.absolute(module, node)
        origin_module = resolver.resolve(origin)
        named = {resolver.resolve(f"{origin}.{alias.name}") for alias in node.names}
        for target in named - {None}:
            if target is not None:
                yield target, True
        if origin_module is not None and origin_module not in named:
            yield origin_module, False


def _imports(resolver: _Resolver, module: str, tree: ast.Module) -> Iterator[tuple[str, int, bool]]:
    for node in ast.walk(tree):
        for target, named in _import_targets(resolver, module, node):
            # importing the package one lives in (or oneself) runs nothing new
            if target != module and not module.startswith(target + "."):
                yield target, getattr(node, "lineno", 0), named


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the modules it imports (function-level imports included)."""
    resolver = _Resolver(modules)
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        if (tree := _parse(path)) is not None:
            graph[module].update(target for target, _line, _named in _imports(resolver, module, tree))
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = _pop_component(stack, on_stack, node)
                    if len(component) > 1:
                        cycles.append(frozenset(component))
    return cycles


def _pop_component(stack: list[str], on_stack: set[str], node: str) -> list[str]:
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
            return component


# --- string reach-ins ---------------------------------------------------------------------------------------


def app_labels(package_dir: Path, apps: Iterable[str]) -> dict[str, str]:
    """Django app label → app directory: `label = "…"` in the app's apps.py, else the directory name."""
    labels = {app: app for app in apps}
    for app in apps:
        tree = _parse(package_dir / app / "apps.py") if (package_dir / app / "apps.py").exists() else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.ClassDef):
                label = _string_assignment(node.body, "label")
                if label:
                    labels[label] = app
    return labels


def url_namespaces(modules: dict[str, Path]) -> dict[str, str]:
    """URL namespace → app: the module-level `app_name = "…"` of each app's URL modules."""
    namespaces: dict[str, str] = {}
    for module, path in modules.items():
        app = app_of(module, modules)
        tree = _parse(path) if app else None
        namespace = _string_assignment(tree.body, "app_name") if tree else None
        if app and namespace:
            namespaces[namespace] = app
    return namespaces


def _string_assignment(body: list[ast.stmt], name: str) -> str | None:
    for statement in body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == name for target in statement.targets)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            return statement.value.value
    return None


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _first_string(call: ast.Call, keyword: str | None = None) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for argument in call.keywords:
        if argument.arg == keyword and isinstance(argument.value, ast.Constant):
            value = argument.value.value
            return value if isinstance(value, str) else None
    return None


def _reached_app(
    call: ast.Call, labels: dict[str, str], namespaces: dict[str, str]
) -> tuple[str, str] | None:
    """(app, how) when a call names another app by a string: a model label or a URL namespace."""
    name = _called_name(call)
    text = _first_string(call, "to" if name in _MODEL_FIELDS else "viewname")
    if text is None:
        return None
    if name == "get_model" or (name in _MODEL_FIELDS and "." in text):
        label = text.split(".")[0]
        more = ", …" if len(call.args) > 1 else ""
        return (labels[label], f'{name}("{text}"{more})') if label in labels else None
    if name in _URL_CALLS and ":" in text:
        namespace = text.split(":")[0]
        return (namespaces[namespace], f'{name}("{text}")') if namespace in namespaces else None
    return None


def _reach_ins(
    tree: ast.Module, labels: dict[str, str], namespaces: dict[str, str]
) -> Iterator[tuple[str, int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (reached := _reached_app(node, labels, namespaces)):
            yield reached[0], node.lineno, reached[1]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in _URL_TAG.finditer(node.value):
                if match.group(1) in namespaces:
                    yield namespaces[match.group(1)], node.lineno, f'{{% url "{match.group(1)}:…" %}}'


# --- the rules ----------------------------------------------------------------------------------------------


def references(modules: dict[str, Path], package_dir: Path) -> Iterator[Reference]:
    """Every dependency of every module: the modules it names in imports and the apps it reaches by string."""
    resolver = _Resolver(modules)
    package = package_dir.name
    apps = sorted({app for module in modules if (app := app_of(module, modules))})
    labels = app_labels(package_dir, apps)
    namespaces = url_namespaces(modules)
    for module, path in modules.items():
        if (tree := _parse(path)) is None:
            continue
        for target, line, named in _imports(resolver, module, tree):
            if named:
                yield Reference(module, target, line, "import")
        for app, line, how in _reach_ins(tree, labels, namespaces):
            yield Reference(module, f"{package}.{app}", line, how)


def broken_rule(source_app: str | None, target_app: str | None) -> str | None:
    """Why `source_app` may not depend on `target_app`, or None when it may."""
    if source_app == target_app or target_app is None:
        return None
    if source_app is None or source_app in WIRING:
        return None
    if target_app in UNREACHABLE:
        return f"nothing but config and demo depends on {target_app}"
    if target_app in WIRING:
        return f"only config and demo depend on {target_app}"
    unknown = [app for app in (source_app, target_app) if app not in _RANK and app not in PLUMBING]
    if unknown:
        return f"{unknown[0]} is not in the layer order (estatedesk/common/layers.py)"
    if source_app == "common":
        return "common depends on no other app"
    if source_app in PLUMBING:
        return None if target_app == "common" else f"{source_app} depends on common only"
    if target_app in PLUMBING or _RANK[source_app] > _RANK[target_app]:
        return None
    if _RANK[source_app] == _RANK[target_app]:
        return f"{source_app} and {target_app} are siblings in the layer order"
    return f"{source_app} comes before {target_app} in the layer order"


def layer_violations(package_dir: Path = PACKAGE_DIR) -> list[Violation]:
    """Every dependency that goes against the layer order, once per (module, target)."""
    modules = find_modules(package_dir)
    found: dict[tuple[str, str], Violation] = {}
    for ref in references(modules, package_dir):
        rule = broken_rule(app_of(ref.source, modules), app_of(ref.target, modules))
        if rule is not None and (ref.source, ref.target) not in found:
            found[ref.source, ref.target] = Violation(ref.source, ref.target, rule, ref.line, ref.how)
    return sorted(found.values(), key=lambda violation: (violation.source, violation.target))


def import_cycles(package_dir: Path = PACKAGE_DIR) -> list[frozenset[str]]:
    return find_cycles(import_graph(find_modules(package_dir)))
