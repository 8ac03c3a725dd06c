"""The scan's parser layers without a database: JS/TS string values (tree-sitter) and SQL analysis (pglast)."""

from __future__ import annotations

import pytest

from recovery_tools.check_table_names.hints import key, words
from recovery_tools.check_table_names.sql import analyze
from recovery_tools.source import js
from recovery_tools.source.strings import PLACEHOLDER, js_strings, python_strings


def tables(sql: str) -> list[str]:
    return [ref.written for statement in analyze(sql) for ref in statement.tables]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM image_review_options o JOIN image_review_items i ON i.id = o.item_id",
         ["image_review_options", "image_review_items"]),
        ('SELECT * FROM "ImageReviewSession" s, public."ImageReviewProduct" p, unnest(s.tags) AS t(x), Plain',
         ['"ImageReviewSession"', 'public."ImageReviewProduct"', "Plain"]),
        ("WITH approved AS (SELECT * FROM image_review_options) SELECT * FROM approved", ["image_review_options"]),
        ("SELECT extract(year FROM ts), trim(both ' ' FROM name) FROM \"Workflow\" WHERE a IS DISTINCT FROM b",
         ['"Workflow"']),
        ('INSERT INTO "Workflow" (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET status = $2', ['"Workflow"']),
        ('UPDATE ONLY "Workflow" SET x = 1 FROM "PurchaseOrder" p WHERE p.id IN (SELECT id FROM "Merchant")',
         ['"Workflow"', '"PurchaseOrder"', '"Merchant"']),
        (f"DELETE FROM image_review_items WHERE id = {PLACEHOLDER}", ["image_review_items"]),
        (f'SELECT * FROM {PLACEHOLDER} JOIN "{PLACEHOLDER}" ON true', []),
        (f"SELECT a FROM t WHERE x = 1 {PLACEHOLDER} ORDER BY a", ["t"]),
        ("SELECT coalesce((SELECT 1 FROM t1), 0) FROM generate_series(1, 3) g", ["t1"]),
        ("SELECT * FROM t1 LEFT JOIN LATERAL (SELECT 1 FROM t2) x ON true -- FROM c\n /* JOIN d */", ["t1", "t2"]),
        ("SELECT 'FROM e', $$ JOIN f $$ FROM \"g\"\"h\"", ['"g""h"']),
        ('SELECT 1 FROM "Audit"."Log" JOIN Audit.Log ON true', ['"Audit"."Log"', "Audit.Log"]),
        ("select id from purchase_orders where id = %s", ["purchase_orders"]),
        ("CREATE TABLE image_review_items (id int); ALTER TABLE x RENAME TO y", []),
        # Fragments: clauses a query is built from, still read by Postgres's parser or scanner.
        (" JOIN image_review_items iri ON iri.id = o.item_id", ["image_review_items"]),
        (f"{PLACEHOLDER} FROM purchase_orders po WHERE po.id = $1", ["purchase_orders"]),
        ("DELETE FROM image_review_sessions WHERE id = ?", ["image_review_sessions"]),
        (" AND irs.status = $2", []),
        # Prose reads like SQL and is not.
        ("Select from the list", []),
        ("select an option from the menu", []),
        ("delete from the cart to start over", []),
        ("Images come FROM the review table", []),
        ("Update the draft with the picked image", []),
    ],
)
def test_tables(sql: str, expected: list[str]) -> None:
    assert tables(sql) == expected


def test_names_fold_as_postgres_folds_them() -> None:
    quoted, unquoted = analyze('SELECT 1 FROM "Audit"."Log" JOIN Audit.Log ON true')[0].tables
    assert (quoted.schema, quoted.name, quoted.quoted) == ("Audit", "Log", True)
    assert (unquoted.schema, unquoted.name, unquoted.quoted) == ("audit", "log", False)


def test_statement_kind_and_fragment() -> None:
    assert [(s.kind, s.fragment) for s in analyze("UPDATE t SET a = 1; DELETE FROM u; INSERT INTO v VALUES (1)")] == [
        ("UPDATE", False), ("DELETE", False), ("INSERT", False)]
    assert [(s.kind, s.fragment) for s in analyze("SELECT count(*) FROM t WHERE")] == [("SELECT", True)]
    assert [(s.kind, s.fragment) for s in analyze(" JOIN t ON t.id = x.id")] == [(None, True)]


def test_columns_carry_the_tables_they_can_belong_to() -> None:
    [statement] = analyze('SELECT s.id, "workflowId", c.n FROM "ImageReviewSession" s '
                          "JOIN counts c ON true WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.x = s.id AND z = 1) "
                          "ORDER BY total")
    seen = {(use.written, tuple(tuple(ref and ref.name for ref in scope) for scope in use.scopes))
            for use in statement.columns}
    assert ("id", (("ImageReviewSession",),)) in seen, "alias s resolves to its table"
    assert ('"workflowId"', (("ImageReviewSession", "counts"),)) in seen, "unqualified: every table of its FROM"
    assert ("z", (("t2",), ("ImageReviewSession", "counts"))) in seen, "a subquery sees the outer query too"
    [insert] = analyze('INSERT INTO "Workflow" (id, "Status") VALUES ($1, $2)')
    assert [(use.name, use.scopes) for use in insert.columns] == [
        ("id", ((insert.tables[0],),)), ("Status", ((insert.tables[0],),))]
    [cte] = analyze("WITH c AS (SELECT 1 AS n) SELECT c.n, m FROM c")
    assert [use.scopes for use in cte.columns if use.name == "m"] == [((None,),)], "a CTE's columns are unknown"


def test_js_values_templates_concatenations_and_extensions() -> None:
    source = (
        "const a = db.query(`SELECT * FROM \"A\" WHERE id = ${ids.map((i) => `${i}`)}`);\n"
        "let q = 'SELECT x ' +\n  \"FROM b\\tc \" + where;\n"
        "if (s) q += ` AND d = ${s}`;\n"
        "function other() { let q = 'y'; }\n"
        "import z from 'SELECT-not-sql';\n"
        "const el = <p title=\"Select from\">Select from the list</p>;\n"
    )
    values = js_strings(js.parse(source, ".jsx"))
    assert [(v.kind, v.text) for v in values] == [
        ("template", f'SELECT * FROM "A" WHERE id = {PLACEHOLDER}'),
        ("template", PLACEHOLDER),
        ("extended", f"SELECT x FROM b\tc {PLACEHOLDER} AND d = {PLACEHOLDER}"),
        ("literal", "y"),
    ]
    extended = values[2]
    assert [part.kind for part in extended.parts] == ["concatenation", "template"]
    assert extended.line_at(extended.text.index("FROM")) == 3 and extended.line_at(extended.text.index("AND")) == 4


def test_js_syntax_error_names_the_line() -> None:
    with pytest.raises(js.JsSyntaxError, match="typescript syntax error at line 2"):
        js.parse("const a = 1;\nconst b: = ;\n", ".ts")
    js.parse("const a = <T,>(x: T): T => x;\n", ".tsx")


def test_python_values_keep_their_lines() -> None:
    values = list(python_strings('X = (\n    "SELECT a "\n    "FROM b"\n)\nY = f"DELETE FROM {t}"\n'))
    assert [(v.text, v.line_at(v.text.index("FROM"))) for v in values] == [
        ("SELECT a FROM b", 3), (f"DELETE FROM {PLACEHOLDER}", 5)]


def test_name_keys_match_tables_and_models() -> None:
    assert words("imageReviewSessions") == ["image", "review", "sessions"]
    assert key("image_review_sessions") == key("ImageReviewSession") == key("imagereviewsession")
    assert key("purchase_orders") == key("PurchaseOrder") != key("PurchaseOrderLine")
    assert key("session_id") == key("sessionId")
