"""A static read of a source tree: where checks are declared, and where their violations are built.

``openai-conformance checks`` lists what the registry holds; this scan says what the code can emit,
so a test can hold the two to each other. A check is *declared* by a module-level function
decorated with ``@check("area.rule", …)`` or by a module-level ``NAME = register("area.rule", …)``,
and *emitted* where ``NAME.violation(…)`` is called (the receiver
may be the declaration, an import of it, a local variable bound to one, or a conditional between
declarations), where a ``Finding(check="area.rule", …)`` is built directly, or where a proxy
``Difference(NAME, …)`` is built (validation/proxy/: its violation is ``difference.check.violation``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Where a module-level name comes from: ("decl", check id, ""), ("import", module, name) for a
#: from-import, or ("module", module, "") for an imported module.
Binding = tuple[str, str, str]

REGISTRY = "openai_conformance.validation.registry"

#: The only modules allowed to construct a Violation themselves.
VIOLATION_MAKERS = frozenset(
    {"openai_conformance.validation.registry", "openai_conformance.validation.violations"}
)


@dataclass
class Scan:
    """What the source tree says about checks."""

    declared: dict[str, str] = field(default_factory=dict)  # check id → "module:line"
    registering: set[str] = field(default_factory=set)  # modules that declare checks
    direct: list[str] = field(default_factory=list)  # Violation( outside VIOLATION_MAKERS
    emitted: dict[str, list[str]] = field(default_factory=dict)  # check id → places
    unresolved: list[str] = field(default_factory=list)  # .violation( on something not a declaration
    warned: set[str] = field(default_factory=set)  # ids whose .violation( passes warning=
    odd_declarations: list[str] = field(default_factory=list)  # declarations not of the two forms


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, package: str) -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted((root / package).rglob("*.py")):
        yield _module_name(root, path), path, ast.parse(path.read_text(), str(path))


def _imported(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _bindings(module: str, tree: ast.Module, is_package: bool) -> dict[str, Binding]:
    """The module-level names that may denote a check: its declarations and its from-imports."""
    found: dict[str, Binding] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            source = _imported(node, module, is_package)
            for alias in node.names:
                found[alias.asname or alias.name] = ("import", source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = ("module", alias.name, "")
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _is_register(node.value)
        ):
            call = node.value
            assert isinstance(call, ast.Call)
            if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
                found[node.targets[0].id] = ("decl", call.args[0].value, "")
        elif isinstance(node, ast.FunctionDef):
            ids = [_declared_id(decorator) for decorator in node.decorator_list if _is_check(decorator)]
            if len(ids) == 1 and ids[0]:
                found[node.name] = ("decl", ids[0], "")
    return found


def _is_check(node: ast.AST) -> bool:
    """A call of the ``check`` decorator: ``check("area.rule", …)`` or ``registry.check(…)``."""
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "check")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "check")
    )


def _declared_id(call: ast.expr) -> str:
    assert isinstance(call, ast.Call)
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""


def _declarations(tree: ast.Module) -> int:
    """How many declarations a module makes, of either form, wherever they stand."""
    decorators = [
        decorator
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for decorator in node.decorator_list
    ]
    return sum(1 for node in ast.walk(tree) if _is_register(node)) + sum(map(_is_check, decorators))


def _is_register(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "register")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "register")
    )


class _Resolver:
    """Resolves a receiver expression to the check ids it may denote (empty: not a declaration)."""

    def __init__(self, bindings: dict[str, dict[str, Binding]]) -> None:
        self._bindings = bindings

    def name(self, module: str, name: str, depth: int = 0) -> set[str]:
        binding = self._bindings.get(module, {}).get(name)
        if binding is None or depth > 10:
            return set()
        kind, first, second = binding
        if kind == "decl":
            return {first}
        if kind == "import":
            return self.name(first, second, depth + 1)
        return set()

    def expression(
        self, module: str, node: ast.expr, local: dict[str, ast.expr], params: set[str]
    ) -> set[str]:
        if isinstance(node, ast.IfExp):
            body = self.expression(module, node.body, local, params)
            orelse = self.expression(module, node.orelse, local, params)
            return body | orelse if body and orelse else set()
        if isinstance(node, ast.Name):
            if node.id in params:
                return set()  # a check handed in as an argument: which one is not visible here
            if node.id in local:
                return self.expression(module, local.pop(node.id), local, params)
            return self.name(module, node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            binding = self._bindings.get(module, {}).get(node.value.id)
            if binding is not None and binding[0] == "module":
                return self.name(binding[1], node.attr)
            if (
                binding is not None
                and binding[0] == "import"
                and f"{binding[1]}.{binding[2]}" in self._bindings
            ):
                return self.name(
                    f"{binding[1]}.{binding[2]}", node.attr
                )  # a module imported from its package
        return set()


#: A scope whose local names a receiver may be bound to.
Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def _scopes(tree: ast.Module) -> Iterator[Scope]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield node


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope, not those of the functions nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _violation_names(tree: ast.Module) -> set[str]:
    """The names a module calls Violation by (``from … import Violation as V`` included)."""
    names = {"Violation"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname for alias in node.names if alias.name == "Violation" and alias.asname}
    return names


def _names_violation(func: ast.expr, names: set[str]) -> bool:
    return (isinstance(func, ast.Name) and func.id in names) or (
        isinstance(func, ast.Attribute) and func.attr == "Violation"
    )


def _read_calls(module: str, tree: ast.Module, result: Scan) -> None:
    """Violations built directly, Findings built for an id, and calls of register."""
    maker = module in VIOLATION_MAKERS
    names = _violation_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        place = f"{module}:{node.lineno}"
        if _names_violation(node.func, names) and not maker:
            result.direct.append(place)
        if isinstance(node.func, ast.Name) and node.func.id == "Finding":
            for keyword in node.keywords:
                if keyword.arg == "check" and isinstance(keyword.value, ast.Constant):
                    result.emitted.setdefault(str(keyword.value.value), []).append(place)
        if _is_register(node) and module != REGISTRY:
            result.registering.add(module)
    if module != REGISTRY and _declarations(tree):
        result.registering.add(module)


def _read_declarations(module: str, tree: ast.Module, bindings: dict[str, Binding], result: Scan) -> None:
    declared = {name: check_id for name, (kind, check_id, _) in bindings.items() if kind == "decl"}
    for node in tree.body:
        name = (
            node.targets[0].id
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            else node.name
            if isinstance(node, ast.FunctionDef)
            else None
        )
        check_id = declared.get(name) if name is not None else None
        if check_id is not None:
            result.declared[check_id] = f"{module}:{node.lineno}"
    if module != REGISTRY and _declarations(tree) != len(declared):
        result.odd_declarations.append(module)


def _read_receivers(module: str, tree: ast.Module, resolver: _Resolver, result: Scan) -> None:
    """Every ``.violation(`` call, resolved to the declarations its receiver may denote."""
    for scope in _scopes(tree):
        params: set[str] = set()
        if not isinstance(scope, ast.Module):
            arguments = scope.args
            params = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        assigned = {
            node.targets[0].id: node.value
            for node in _own_nodes(scope)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        }
        for node in _own_nodes(scope):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "Difference" and node.args:
                receiver = node.args[0]  # a proxy difference: its violation is built from its check
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "violation":
                receiver = node.func.value
                if isinstance(receiver, ast.Attribute) and receiver.attr == "check":
                    continue  # a Difference's check: emitted where the Difference is built
            else:
                continue
            place = f"{module}:{node.lineno}"
            ids = resolver.expression(module, receiver, dict(assigned), params)
            if not ids:
                result.unresolved.append(place)
            for check_id in ids:
                result.emitted.setdefault(check_id, []).append(place)
                if any(keyword.arg == "warning" for keyword in node.keywords):
                    result.warned.add(check_id)


def scan(root: Path, package: str = "openai_conformance") -> Scan:
    """Read every module of ``package`` under ``root``."""
    result = Scan()
    modules = [(name, tree) for name, path, tree in _modules(root, package)]
    packages = {name for name, path, _ in _modules(root, package) if path.name == "__init__.py"}
    bindings = {name: _bindings(name, tree, name in packages) for name, tree in modules}
    resolver = _Resolver(bindings)
    for module, tree in modules:
        _read_calls(module, tree, result)
        _read_declarations(module, tree, bindings[module], result)
        _read_receivers(module, tree, resolver, result)
    return result
