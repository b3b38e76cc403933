"""The three layers keep their import rules: data/ stands alone, service/ knows no web framework."""
import ast
import pathlib

import pytest

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "microblog"
# Known exceptions, each with its reason.
ALLOWED = {
    ("service/auth.py", "werkzeug.security"): "password hashing is werkzeug's (the given stack)",
}


def imported_modules(path):
    """Every module `path` imports, relative imports resolved to absolute names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names if node.module is None)


def violations(layer, forbidden):
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        name = str(path.relative_to(PACKAGE))
        for module in imported_modules(path):
            if module.startswith(forbidden) and (name, module) not in ALLOWED:
                found.append(f"{name} imports {module}")
    return found


@pytest.mark.parametrize("layer, forbidden", [
    ("data", ("flask", "werkzeug", "microblog.service", "microblog.web")),
    ("service", ("flask", "werkzeug", "microblog.web")),
])
def test_a_lower_layer_imports_nothing_from_the_layers_above_or_the_web_framework(layer, forbidden):
    assert violations(layer, forbidden) == []


def test_the_rule_sees_a_violation():
    """The check itself can fail: web/ does import Flask."""
    assert any("imports flask" in line for line in violations("web", ("flask",)))
