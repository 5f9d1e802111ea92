"""The environment table of docs/configuration.md lists exactly the variables the settings read.

The variables are found by parsing conduit/settings.py (no import, so no environment is
needed): a call of `env(...)`, `env.<cast>(...)`, `os.environ.get(...)`, `os.getenv(...)`, a
subscript `os.environ[...]` or a test `... in os.environ`, whose name is a string literal, or
the parameter of a module-level helper that each call passes a literal (`_flag("NAME")`).
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SETTINGS = Path(settings.BASE_DIR, "conduit", "settings.py")
DOC = Path(settings.BASE_DIR, "docs", "configuration.md")
TABLE_HEADING = "## Environment variables"
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|")


@dataclass(frozen=True)
class Read:
    name: str
    line: int
    default: str


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or a bare `environ` (from os import environ)."""
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        return isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_env_call(func: ast.AST) -> bool:
    """`env(...)`, `env.int(...)`, `os.environ.get(...)`, `os.getenv(...)`."""
    if isinstance(func, ast.Name):
        return func.id in {"env", "getenv"}
    if not isinstance(func, ast.Attribute):
        return False
    if isinstance(func.value, ast.Name) and func.value.id == "env":
        return not func.attr.startswith("read_env")
    if func.attr == "getenv":
        return isinstance(func.value, ast.Name) and func.value.id == "os"
    return func.attr == "get" and _is_environ(func.value)


def _default(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg == "default":
            return ast.unparse(keyword.value)
    if len(call.args) > 1:
        return ast.unparse(call.args[1])
    return "(none)"


def _reads_in(tree: ast.AST) -> list[tuple[ast.AST, ast.AST, str]]:
    """(the name's expression, the reading node, the default) of each read under `tree`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_env_call(node.func) and node.args:
            found.append((node.args[0], node, _default(node)))
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_environ(node.value)
        ):
            found.append((node.slice, node, "(none: required)"))
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            found.append((node.left, node, "(none)"))
    return found


def variables_read(source: str) -> tuple[list[Read], list[str]]:
    """The variables the settings read, and the reads whose name is not a literal.

    A read inside a module-level function whose name is one of the function's parameters
    (`def _flag(name): return env.bool(name)`) is a read of each literal passed for it."""
    tree = ast.parse(source)
    reads: list[Read] = []
    unnamed: list[str] = []
    # function name -> (parameter position, parameter name, default) of its reads by parameter
    by_parameter: dict[str, list[tuple[int, str, str]]] = {}
    resolved: set[int] = set()  # the reads by parameter: read at the call sites instead
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        parameters = [arg.arg for arg in function.args.args]
        for name, node, default in _reads_in(function):
            if isinstance(name, ast.Name) and name.id in parameters:
                by_parameter.setdefault(function.name, []).append(
                    (parameters.index(name.id), name.id, default)
                )
                resolved.add(id(node))
    for name, node, default in _reads_in(tree):
        if id(node) in resolved:
            continue
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            reads.append(Read(name.value, node.lineno, default))
        else:
            unnamed.append(f"conduit/settings.py:{node.lineno}: {ast.unparse(node)}")
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        for position, parameter, default in by_parameter.get(call.func.id, []):
            passed = [kw.value for kw in call.keywords if kw.arg == parameter]
            passed += call.args[position : position + 1]
            if passed and isinstance(passed[0], ast.Constant) and isinstance(passed[0].value, str):
                reads.append(Read(passed[0].value, call.lineno, default))
            else:
                unnamed.append(f"conduit/settings.py:{call.lineno}: {ast.unparse(call)}")
    return sorted(reads, key=lambda read: read.line), unnamed


def documented_variables(text: str) -> list[str]:
    """The first column of the table under TABLE_HEADING, in order."""
    names: list[str] = []
    in_section = False
    for line in text.splitlines():
        if line.startswith("## "):
            in_section = line.strip() == TABLE_HEADING
            continue
        if in_section and (match := ROW.match(line)):
            names.append(match.group(1))
    return names


def test_the_parser_finds_every_form_of_read():
    source = (
        "import os\n"
        "A = env('A')\n"
        "B = env.int('B', default=5)\n"
        "C = os.environ.get('C', 'x')\n"
        "D = os.environ['D']\n"
        "E = os.getenv('E')\n"
        "F = 'F' in os.environ\n"
        "env.read_env('.env')\n"
        "G = env.bool(NAME)\n"
        "os.environ['SET'] = '1'\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'conduit.settings')\n"
        "def _flag(variable, fallback=False):\n"
        "    return env.bool(variable, default=fallback)\n"
        "H = _flag('H')\n"
        "I = _flag(variable='I')\n"
        "J = _flag(SOME_NAME)\n"
    )
    reads, unnamed = variables_read(source)

    assert [(read.name, read.default) for read in reads] == [
        ("A", "(none)"),
        ("B", "5"),
        ("C", "'x'"),
        ("D", "(none: required)"),
        ("E", "(none)"),
        ("F", "(none)"),
        ("H", "fallback"),
        ("I", "fallback"),
    ]
    assert unnamed == [
        "conduit/settings.py:9: env.bool(NAME)",
        "conduit/settings.py:16: _flag(SOME_NAME)",
    ]


def test_the_settings_read_the_variables_one_expects():
    reads, _ = variables_read(SETTINGS.read_text())
    names = {read.name for read in reads}

    expected = {"DATABASE_URL", "SECRET_KEY", "DEBUG", "CACHE_URL", "SECURITY_LOCKOUT_FAILURES"}
    assert expected <= names


def test_every_variable_the_settings_read_is_in_the_configuration_table_once():
    reads, unnamed = variables_read(SETTINGS.read_text())
    documented = documented_variables(DOC.read_text())

    assert not unnamed, (
        "conduit/settings.py reads an environment variable whose name is not a string literal, "
        "so docs/configuration.md cannot be checked against it; name it literally:\n"
        + "\n".join(unnamed)
    )
    first_read: dict[str, Read] = {}
    for read in reads:
        first_read.setdefault(read.name, read)
    missing = [read for name, read in first_read.items() if name not in documented]
    stale = sorted(set(documented) - set(first_read))
    twice = sorted({name for name in documented if documented.count(name) > 1})

    problems = []
    if missing:
        problems.append(
            f"docs/configuration.md's table (under '{TABLE_HEADING}') lacks variables that "
            "conduit/settings.py reads; add these rows (and say what each does):\n"
            + "\n".join(
                f"  | `{read.name}` | {read.default} | <what it does> |"
                f"    <- conduit/settings.py:{read.line}"
                for read in missing
            )
        )
    if stale:
        problems.append(
            "docs/configuration.md's table lists variables that conduit/settings.py no longer "
            "reads; remove these rows: " + ", ".join(stale)
        )
    if twice:
        problems.append(
            "docs/configuration.md's table lists these more than once: " + ", ".join(twice)
        )
    assert not problems, "\n".join(problems)
