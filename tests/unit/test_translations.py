"""The Chinese catalogue covers every message in the code and templates, compiled as written."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
MO = ROOT / "service_center" / "translations" / "zh" / "LC_MESSAGES" / "messages.mo"


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    """scripts/i18n.py, the tool that extracts, merges and fills the catalogue."""
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _key(value: str | list | tuple) -> str | tuple:
    return value if isinstance(value, str) else tuple(value)  # plurals: a list in .mo files


def translations(catalog) -> dict:
    """{msgid: msgstr} of the messages that have a translation."""
    return {
        _key(m.id): _key(m.string)
        for m in catalog
        if m.id and not m.fuzzy and all([m.string] if isinstance(m.string, str) else m.string)
    }


def test_every_message_has_a_chinese_translation(i18n, tmp_path):
    i18n.extract(tmp_path / "messages.pot")
    with (tmp_path / "messages.pot").open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with i18n.PO.open("rb") as handle:
        translated = translations(read_po(handle))
    lacking = sorted(str(msgid) for msgid in wanted if msgid not in translated)
    assert not lacking, "run scripts/i18n.py update, then fill these:\n" + "\n".join(lacking)


def _english_fallback(msgid: str | tuple, string: str | tuple) -> bool:
    """pybabel compiles an untranslated plural as its English forms."""
    if isinstance(msgid, str):
        return string == msgid
    return string == tuple(msgid[min(index, 1)] for index in range(len(string)))


def test_compiled_catalogue_matches_the_po_file(i18n):
    with i18n.PO.open("rb") as handle:
        written = translations(read_po(handle))
    with MO.open("rb") as handle:
        compiled = translations(read_mo(handle))
    stale = {k: v for k, v in written.items() if compiled.get(k) != v}
    extra = {k: v for k, v in compiled.items() if k not in written and not _english_fallback(k, v)}
    assert not stale and not extra, "run scripts/i18n.py update (it compiles messages.mo)"
