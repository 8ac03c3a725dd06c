"""Every valid file read: a bare `&` in JSX text is text, a gap in the grammar is a recovered region esbuild vouches
for, and only a file esbuild rejects is unreadable."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery_tools.detect import connection_hygiene, const_reassignment
from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import FIXED, UNKNOWN
from recovery_tools.source import js
from recovery_tools.source.esbuild import VERSION
from recovery_tools.source.files import minified_reason
from tests.detect.conftest import APPS, WriteApp, line_of

HERO = APPS / "healthy" / "src" / "components" / "Hero.tsx"
UNREACHABLE = "http://127.0.0.1:9/"


def types_at(parsed: js.Parsed, needle: str) -> set[str]:
    """The types of every node whose text starts at the first byte of `needle` in the file."""
    at = parsed.source.index(needle.encode())
    return {node.type for node in js.walk(parsed.root) if node.start_byte == at}


def test_the_component_tree_sitter_rejected_is_read_clean() -> None:
    text = HERO.read_text(encoding="utf-8")
    parsed = js.parse(text, ".tsx")
    assert not parsed.root.has_error and parsed.status == "repaired" and parsed.recovered == ()
    assert parsed.repaired == (line_of(HERO, "Purchase orders &"), line_of(HERO, "Terms &amp;"))
    texts = [parsed.text(node) for node in js.walk(parsed.root) if node.type == "jsx_text"]
    assert "Purchase orders & real-time insights, parsed & synced to Shopify." in texts  # the file's own bytes
    # The `&`s of code stay code: an intersection type and a bitwise and.
    assert "intersection_type" in {node.type for node in js.walk(parsed.root)}
    assert any(node.type == "binary_expression" and parsed.text(node) == "1 & 3" for node in js.walk(parsed.root))
    assert "html_character_reference" in types_at(parsed, "&amp;")


@pytest.mark.parametrize("suffix", [".tsx", ".jsx", ".js"])
def test_bare_ampersands_in_jsx_text_in_every_jsx_grammar(suffix: str) -> None:
    text = "export const A = () => (\n  <p>\n    R&D & more &\n  </p>\n);\nexport const b = (x) => x & 1;\n"
    parsed = js.parse(text, suffix)
    assert not parsed.root.has_error and parsed.repaired == (3,)
    assert any(node.type == "binary_expression" and parsed.text(node) == "x & 1" for node in js.walk(parsed.root))


def test_a_gap_in_the_grammar_is_read_with_its_region_named() -> None:
    """TypeScript 4.7 variance annotations: esbuild parses them, tree-sitter-typescript 0.23.2 does not."""
    text = ("export interface Box<in out T> {\n  value: T;\n}\n\n"
            "export function save(drafts: string[]) {\n  const saved = drafts.length;\n  return saved;\n}\n")
    parsed = js.parse(text, ".ts")
    assert parsed.status == "recovered" and parsed.confirmed_by == f"esbuild {VERSION}"
    assert parsed.recovered and all(region.line == 1 for region in parsed.recovered)
    assert "line 1" in str(parsed.recovered[0])
    functions = [node for node in js.walk(parsed.root) if node.type == "function_declaration"]
    assert [parsed.text(f.child_by_field_name("name")) for f in functions] == ["save"]  # the rest is read


def test_a_file_esbuild_rejects_is_unreadable_with_both_reasons() -> None:
    with pytest.raises(js.JsSyntaxError) as raised:
        js.parse("const a = 1;\nconst b: = ;\n", ".ts")
    assert str(raised.value) == (f"typescript syntax error at line 2: cannot parse ': =' (esbuild {VERSION}: "
                                 'line 2:10: Unexpected "=")')


def test_without_esbuild_a_gap_in_the_grammar_stays_unreadable_and_says_why(monkeypatch: pytest.MonkeyPatch,
                                                                            tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_NODE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("npm_config_registry", UNREACHABLE)
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    with pytest.raises(js.JsSyntaxError) as raised:
        js.parse("export type * from './types';\n", ".ts")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("typescript syntax error at line 1: ")
    assert message.endswith(f"(esbuild, which would tell a gap in the grammar from an error in the file, cannot be "
                            f"had: cannot install esbuild@{VERSION}: npm's registry {UNREACHABLE} cannot be "
                            "reached (ECONNREFUSED); the tools' esbuild comes from it at first use)")
    assert not js.parse("export const ok = <p>A & B</p>;\n", ".tsx").root.has_error  # the repair needs no esbuild


def test_the_healthy_app_is_read_whole() -> None:
    app = AppSource.read(APPS / "healthy")
    assert [f.rel for f in app.files if f.error] == []
    assert "src/components/Hero.tsx" in [f.rel for f in app.files]


def test_one_long_line_is_not_minified_a_bundle_is() -> None:
    component = "export const Menu = () => (\n" + "  <nav className='" + "x " * 600 + "' />\n" + ");\n" * 40
    assert minified_reason(component) is None
    bundle = "var a=1;" * 300 + "\n" + "var b=2;\n"
    assert minified_reason(bundle) == "looks minified (a line of 2400 characters, 1205 on average)"


def test_a_region_tree_sitter_skipped_makes_unknown_only_the_bugs_its_text_could_hold(write_app: WriteApp) -> None:
    """`export type *` (TypeScript 5.0) is a gap in the grammar: esbuild parses the file, tree-sitter skips a
    region. A `const` on the skipped line could hide a const write: const-reassignment cannot say `fixed`."""
    app = write_app({
        "api/index.ts": "export type * from './types'; const limit = 1;\nexport default () => limit;\n",
        "api/types.ts": "export type Limit = number;\n",
    })
    (source,) = [f for f in app.files if f.rel == "api/index.ts"]
    assert source.parsed is not None and source.parsed.status == "recovered"
    verdict = const_reassignment.detect(app)
    assert verdict.state == UNKNOWN
    assert [(e.file, e.line) for e in verdict.evidence] == [("api/index.ts", 1)]
    assert verdict.evidence[0].why.startswith("not read: tree-sitter could not parse line 1: ")
    assert f"(esbuild {VERSION} parses the file)" in verdict.evidence[0].why
    # the same gap on a line without a `const` hides no const write
    clean = write_app({"api/index.ts": "export type * from './types';\nconst limit = 1;\n"
                                       "export default () => limit;\n"})
    assert const_reassignment.detect(clean).state == FIXED
    # a bug whose evidence the region's text cannot hold is judged as before
    assert connection_hygiene.detect(app).evidence[0].why == "no `new PrismaClient()` found in the source"
