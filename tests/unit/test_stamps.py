"""Change stamps: a committed change of a watched row moves its stamps, in every process of
the host; a rolled-back one moves nothing."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from service_center import stamps
from service_center.db import db
from service_center.queueing.models import Case
from tests.processes import CONTEXT


def _bump_in_another_process(path: str) -> None:
    stamps.StampFile(Path(path)).bump(["floor:7"])


def test_a_bump_in_another_process_is_read_here(tmp_path):
    here = stamps.StampFile(tmp_path / "stamps")
    before = here.read("floor:7")

    other = CONTEXT.Process(target=_bump_in_another_process, args=(str(tmp_path / "stamps"),))
    other.start()
    other.join(30)

    assert other.exitcode == 0
    assert here.read("floor:7") == before + 1
    assert here.read("floor:8") == 0


def test_an_unusable_file_keeps_the_stamps_in_this_process(tmp_path, caplog):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")

    kept = stamps.StampFile(not_a_folder / "stamps")
    kept.bump(["floor:1"])

    assert kept.read("floor:1") == 1
    assert "kept per process only" in caplog.text
    assert not (not_a_folder / "stamps").exists()


def test_a_committed_change_moves_its_centers_stamps(app_ctx, world, open_windows, issue):
    key = stamps.floor(world.center.id)
    other_center = stamps.floor(world.other.id)
    before, other_before = stamps.read(key), stamps.read(other_center)

    issue(world.items.licence)  # commits a ticket and its event

    assert stamps.read(key) > before
    assert stamps.read(other_center) == other_before


def test_a_rolled_back_change_moves_nothing(app_ctx, world, open_windows):
    key = stamps.floor(world.center.id)
    before = stamps.read(key)

    world.windows.business.name_zh = "改名"
    db.session.flush()
    db.session.rollback()

    assert stamps.read(key) == before


def test_a_savepoint_rolled_back_keeps_what_the_transaction_flushed_before(
    app_ctx, world, open_windows
):
    key = stamps.floor(world.center.id)
    before = stamps.read(key)

    world.windows.business.name_zh = "改名"
    db.session.flush()
    with db.session.begin_nested() as savepoint:
        world.windows.livelihood.name_zh = "也改名"
        db.session.flush()
        savepoint.rollback()
    db.session.commit()

    assert stamps.read(key) > before


def test_rows_nobody_watches_move_no_stamp(app_ctx, world, open_windows):
    key = stamps.floor(world.center.id)
    before = stamps.read(key)

    db.session.query(Case).delete()  # nothing, and nothing watched
    world.users.clerk.display_name = "Someone else"
    db.session.commit()

    assert stamps.read(key) == before


def test_each_database_has_its_stamps_where_its_processes_find_them(tmp_path):
    from flask import Flask

    def path_for(uri: str) -> Path | None:
        app = Flask("x", instance_path=str(tmp_path / "instance"))
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
        return stamps.default_path(app)

    assert path_for("sqlite:///service_center.sqlite") == (
        tmp_path / "instance" / "service_center.sqlite-stamps"
    )
    assert path_for(f"sqlite:///{tmp_path}/db/x.sqlite") == tmp_path / "db" / "x.sqlite-stamps"
    assert path_for("sqlite://") is None  # in memory: one process
    one = path_for("postgresql+psycopg://app@db/one")
    assert one.parent == tmp_path / "instance" / "stamps"
    assert one != path_for("postgresql+psycopg://app@db/two")


def _bump_many(stamp_file: stamps.StampFile, times: int) -> None:
    threads = [
        threading.Thread(target=lambda: [stamp_file.bump(["floor:1"]) for _ in range(times)])
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_racing_bumps_are_never_lost_across_forked_processes_and_threads(tmp_path):
    # opened before the fork, as under gunicorn's preloading: the children share its descriptor
    shared = stamps.StampFile(tmp_path / "stamps")
    assert shared.read("floor:1") == 0  # mapped here, then inherited
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_bump_many, args=(shared, 2000)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert [w.exitcode for w in workers] == [0] * 4
    assert shared.read("floor:1") == 4 * 2 * 2000
