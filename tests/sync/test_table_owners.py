"""Each table of the kiosk's store has one owning module (``sync_agent.store.database.OWNERS``), and no
other module of ours writes it: neither in SQL text (INSERT, REPLACE, UPDATE, DELETE, ALTER, DROP,
CREATE) nor through a sqlite-utils table (``db["t"].insert(...)`` and the like). The migrations
(``sync_agent.store.database.MIGRATIONS``) are the schema's history and may touch any table.

The source is read, not run: a write on a path no test takes is found too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sync_agent.store.database import MIGRATIONS, OWNERS, Store

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sync_agent", "kiosk_app", "kiosk_demo", "kiosk_testing", "hardware")
"""Every package of ours that can open the kiosk's store. The stand-in (``backend_stub``) keeps
the central side's own database, whose tables are not the kiosk's."""
RUN_TIME_TABLE = "{}"
"""How a table named by a placeholder of an f-string is shown: its owner cannot be checked."""
SQL_WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+[A-Z]+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+[A-Z]+)?|DELETE\s+FROM|"
    r"ALTER\s+TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?)"
    r"\s+[\"`\[]?(\w+|\{\})")
"""SQL keywords are written in capitals in this code base, so prose in lower case never matches."""
UPDATE_CLAUSE = "SET"
"""``ON CONFLICT ... DO UPDATE SET``: the upsert's own table, already named by its INSERT."""
TABLE_WRITES = {"insert", "insert_all", "upsert", "upsert_all", "update", "delete", "delete_where",
                "lookup", "create", "create_index", "add_column", "add_foreign_key",
                "add_missing_columns", "transform", "drop", "enable_fts"}
"""sqlite-utils ``Table`` methods that change the table."""


@dataclass(frozen=True)
class Write:
    module: str
    table: str
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} writes {self.table}"


def modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            yield name, ast.parse(path.read_text(encoding="utf-8"), str(path))


def text_of(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with ``{}`` where a value goes."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else RUN_TIME_TABLE
                       for part in node.values)
    return None


def docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes (prose, not SQL)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.body and isinstance(node.body[0], ast.Expr) and text_of(node.body[0].value):
                found.add(id(node.body[0].value))
    return found


def fstring_parts(tree: ast.Module) -> set[int]:
    """ids of the literal parts of f-strings: each f-string is read as a whole."""
    return {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}


def migration_nodes(module: str, tree: ast.Module) -> set[int]:
    """ids of every node inside a migration function of the store."""
    if module != "sync_agent.store.database":
        return set()
    names = {migration.__name__ for migration in MIGRATIONS}
    return {id(inner) for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names
            for inner in ast.walk(node)}


def table_written_by_call(node: ast.Call) -> str | None:
    """``db["t"].insert(...)`` or ``db.table("t").upsert(...)``: the table's name (``{}`` if
    chosen at run time)."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in TABLE_WRITES):
        return None
    target = node.func.value
    if isinstance(target, ast.Subscript):
        return text_of(target.slice) or RUN_TIME_TABLE
    if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) \
            and target.func.attr == "table" and target.args:
        return text_of(target.args[0]) or RUN_TIME_TABLE
    return None


def writes_in(module: str, tree: ast.Module) -> list[Write]:
    """Every write in one module's source, outside its docstrings and the store's migrations."""
    skipped = docstrings(tree) | fstring_parts(tree) | migration_nodes(module, tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Call) and (table := table_written_by_call(node)):
            found.append(Write(module, table, node.lineno))
        text = text_of(node)
        found.extend(Write(module, match.group(1), node.lineno)
                     for match in SQL_WRITE.finditer(text or "") if match.group(1) != UPDATE_CLAUSE)
    return found


def writes() -> list[Write]:
    return [write for module, tree in modules() for write in writes_in(module, tree)]


def schema_tables(tmp_path: Path) -> set[str]:
    store = Store.open(tmp_path / "kiosk.sqlite3")
    try:
        return {row["name"] for row in store.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        store.close()


def test_every_table_of_the_schema_has_one_owner_that_exists(tmp_path: Path) -> None:
    tables = schema_tables(tmp_path)
    assert tables - OWNERS.keys() == set(), "tables without an owner in sync_agent.store.database.OWNERS"
    assert OWNERS.keys() - tables == set(), "owners of tables the schema does not have"
    ours = {name for name, _ in modules()}
    strangers = {owner for owner in OWNERS.values() if owner not in ours}
    assert strangers == set(), "owners that are not modules of ours"


def test_only_the_owner_writes_a_table(tmp_path: Path) -> None:
    tables = schema_tables(tmp_path)
    found = writes()
    by_others = [str(w) for w in found if w.table in tables and w.module != OWNERS[w.table]]
    assert not by_others, "written outside the table's owner (OWNERS):\n" + "\n".join(by_others)
    unknown = [str(w) for w in found if w.table == RUN_TIME_TABLE]
    assert not unknown, "tables named at run time, whose owner cannot be checked:\n" + "\n".join(unknown)


def test_each_owner_writes_its_table() -> None:
    """An owner that no longer writes its table is a stale entry of OWNERS (or the check is blind)."""
    written = {(w.module, w.table) for w in writes()}
    stale = [f"{owner} does not write {table}" for table, owner in OWNERS.items()
             if (owner, table) not in written]
    assert not stale, "\n".join(stale)


def test_the_check_finds_each_form_of_write() -> None:
    """The reader itself: each form of write is seen; docstrings, lower-case prose and an
    upsert's own ``DO UPDATE SET`` are not."""
    source = '''
def f(db, conn, name):
    """UPDATE outbox SET nothing: a docstring is prose."""
    conn.execute("INSERT OR REPLACE INTO counters (name) VALUES (?) "
                 "ON CONFLICT(name) DO UPDATE SET value = 1")
    conn.execute(f"DELETE FROM {name} WHERE id = {1}")
    conn.execute("UPDATE  devices SET x = 1")
    db["catalog"].upsert({})
    db.table("breakers").delete_where()
    log.info("the outbox will update member_views later")
'''
    found = {write.table for write in writes_in("example", ast.parse(source))}
    assert found == {"counters", RUN_TIME_TABLE, "devices", "catalog", "breakers"}
