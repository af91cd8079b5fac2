"""The display mode a cookie names: 长辈版 only when it says so exactly."""

from __future__ import annotations

import pytest

from service_center.modes import ELDER, STANDARD, mode_from_cookie


@pytest.mark.parametrize(
    ("cookie", "mode"),
    [
        ("elder", ELDER),
        ("standard", STANDARD),
        (None, STANDARD),
        ("", STANDARD),
        ("ELDER", STANDARD),
    ],
)
def test_mode_from_cookie(cookie, mode):
    assert mode_from_cookie(cookie) == mode
