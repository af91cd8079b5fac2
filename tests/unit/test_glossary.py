"""One word per state: the glossary gives each window and ticket state one word, in Chinese and
in English, and the desk, the hall display and the live report all say it."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from service_center import glossary
from service_center.db import db
from service_center.queueing import services as queue
from service_center.windows.models import WindowState


@pytest.mark.parametrize("words", [glossary.WINDOW_WORDS, glossary.TICKET_WORDS])
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_each_state_has_exactly_one_word_of_its_own(app_ctx, words, locale):
    with force_locale(locale):
        said = [str(word) for word in words.values()]
    assert all(said) and len(set(said)) == len(said)


@pytest.mark.parametrize(
    ("seconds", "zh"),
    [(16.4, "16 秒"), (65, "1 分 05 秒"), (3725, "1 小时 02 分 05 秒"), (None, "—")],
)
def test_one_way_to_say_a_duration(app_ctx, seconds, zh):
    with force_locale("zh_CN"):
        assert glossary.duration(seconds) == zh


def _text(html: str, element_id: str) -> str:
    after = html.split(f'id="{element_id}"', 1)[1].split(">", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", after.split("</", 1)[0]).split())


@pytest.mark.parametrize(("setup", "word"), [("idle", "空闲"), ("closed", "未开放")])
def test_desk_display_and_live_report_say_the_same_word(
    client, world, login_as, desk_clock, sign_on, setup, word
):
    window = world.windows.business
    if setup == "idle":
        sign_on(world.users.clerk, window)
    else:
        queue.set_window_state(window, WindowState.CLOSED, now=desk_clock.now)
        db.session.commit()
    login_as(world.users.supervisor)

    desk = client.get(f"/desk/{window.id}").get_data(as_text=True)
    display = client.get("/display/testtown/window/1").get_data(as_text=True)
    live = client.get("/reports/live").get_data(as_text=True)

    assert _text(desk, "window-status") == word
    assert _text(display, "counter-state").split()[0] == word
    assert _text(live, "window-1-status") == word
