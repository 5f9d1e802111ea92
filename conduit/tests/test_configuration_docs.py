"""The environment table of docs/configuration.md lists exactly the variables the settings read.

The variables are found by parsing conduit/settings.py (no import, so no environment is
needed): a call of `env(...)`, `env.<cast>(...)`, `os.environ.get(...)`, `os.getenv(...)`, a
subscript `os.environ[...]` or a test `... in os.environ`, whose name is a string literal.
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


def variables_read(source: str) -> tuple[list[Read], list[str]]:
    """The variables the settings read, and the reads whose name is not a literal."""
    reads: list[Read] = []
    unnamed: list[str] = []

    def name_of(node: ast.AST, where: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        unnamed.append(f"conduit/settings.py:{where.lineno}: {ast.unparse(where)}")
        return None

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _is_env_call(node.func) and node.args:
            found = (node.args[0], _default(node))
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_environ(node.value)
        ):
            found = (node.slice, "(none: required)")
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            found = (node.left, "(none)")
        else:
            continue
        if (name := name_of(found[0], node)) is not None:
            reads.append(Read(name, node.lineno, found[1]))
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
    )
    reads, unnamed = variables_read(source)

    assert [(read.name, read.default) for read in reads] == [
        ("A", "(none)"),
        ("B", "5"),
        ("C", "'x'"),
        ("D", "(none: required)"),
        ("E", "(none)"),
        ("F", "(none)"),
    ]
    assert unnamed == ["conduit/settings.py:9: env.bool(NAME)"]


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
