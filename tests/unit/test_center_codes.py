"""A center's code is a path segment: it must not shadow a literal path beside it."""

from __future__ import annotations

import pytest

from service_center.catalogue.models import RESERVED_CENTER_CODES, Center

CENTER_ARGUMENTS = {"<code>", "<center_code>"}


def literal_siblings_of_center_codes(app) -> set[str]:
    """Literal first segments under every prefix whose next segment is a center's code."""
    paths = [rule.rule.strip("/").split("/") for rule in app.url_map.iter_rules()]
    prefixes = {parts[0] for parts in paths if len(parts) >= 2 and parts[1] in CENTER_ARGUMENTS} - {
        "api"
    }
    return {
        parts[1]
        for parts in paths
        if len(parts) >= 2 and parts[0] in prefixes and not parts[1].startswith("<")
    }


def test_every_literal_path_beside_a_center_code_is_reserved(app):
    siblings = literal_siblings_of_center_codes(app)
    assert "manage" in siblings  # the derivation finds /book/manage
    assert siblings <= RESERVED_CENTER_CODES


@pytest.mark.parametrize("code", sorted(RESERVED_CENTER_CODES) + ["Zhuangzhai", "a b", "", "x/y"])
def test_a_center_cannot_take_a_reserved_or_malformed_code(code):
    with pytest.raises(ValueError):
        Center(code=code, case_prefix="XX", name_zh="某镇", name_en="Some Town")


def test_a_plain_code_is_taken(app):
    assert Center(code="zhuangzhai-2", case_prefix="Z2", name_zh="某镇", name_en="x").code == (
        "zhuangzhai-2"
    )
