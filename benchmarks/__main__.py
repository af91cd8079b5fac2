"""``python -m benchmarks run [--quick] …``: measure every journey against the stack's ceiling."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .runner import JOURNEYS, RESULTS, Options, run

QUICK = {
    "duration": 1.0,
    "connections": [16],
    "report_sizes": [1_000, 4_000],
    "report_per_day": 50,
    "scale_out": False,
}


def _ints(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def _names(allowed: tuple[str, ...]):  # noqa: ANN202
    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown)}; choose from {', '.join(allowed)}"
            )
        return names

    return parse


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    p = commands.add_parser(
        "run",
        help="run the benchmark",
        description="Start the app and two baselines under gunicorn on SQLite and PostgreSQL, "
        "drive each journey with wrk, check correctness after every run, and write "
        "benchmarks/results/latest.md and .json. Exit status 1 when a correctness check fails.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="1-second runs at 16 connections, small report sizes, no scale-out "
        "(under a minute); results go to benchmarks/results/tmp/ unless --output is given",
    )
    p.add_argument(
        "--databases",
        type=_names(("sqlite", "postgresql")),
        default=["sqlite", "postgresql"],
        help="comma-separated: sqlite,postgresql (PostgreSQL is skipped when unreachable)",
    )
    p.add_argument(
        "--journeys",
        type=_names(JOURNEYS),
        default=list(JOURNEYS),
        help=f"comma-separated, from {','.join(JOURNEYS)}",
    )
    p.add_argument("--duration", type=float, help="seconds per load run (default 10)")
    p.add_argument("--connections", type=_ints, help="comma-separated (default 16,64)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument(
        "--threads", type=int, default=1, help="threads per worker; above 1: gthread (default 1)"
    )
    p.add_argument(
        "--report-sizes",
        type=_ints,
        help="cases in the report databases, comma-separated (default 100000,5000000)",
    )
    p.add_argument(
        "--report-per-day",
        type=int,
        help="cases a working day in the report databases (default 900, a 23-window hall's "
        "day); a larger size spans more years back",
    )
    p.add_argument(
        "--scale-out",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run two app servers on one PostgreSQL (default: on, off with --quick)",
    )
    p.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server to create the benchmark databases on",
    )
    p.add_argument("--output", type=Path, help="folder for the result files")
    c = commands.add_parser(
        "costs",
        help="CPU time and SQL statements of one request per journey, in process",
        description="Measure, in this process, the CPU time and the SQL statements of one "
        "request of each journey (median of --repeat), with --waiting tickets in the queue.",
    )
    c.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    c.add_argument("--waiting", type=int, default=200, help="tickets waiting (default 200)")
    c.add_argument("--repeat", type=int, default=30, help="requests measured per journey")
    c.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    c.add_argument(
        "--profile",
        metavar="TEXT",
        help="also profile (cProfile) the journeys whose name contains TEXT; print the top 25",
    )
    n = commands.add_parser(
        "notify",
        help="notifications: messages delivered per second, and their cost on the queue",
        description="Deliver --messages from the outbox with --workers processes to a local "
        "fake SMS gateway; then the CPU time of issuing and calling with notifications off "
        "and on (every ticket opted in).",
    )
    n.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    n.add_argument("--messages", type=int, default=10_000)
    n.add_argument("--workers", type=int, default=2)
    n.add_argument("--repeat", type=int, default=30, help="requests measured per journey")
    n.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    return top


def options_from(args: argparse.Namespace) -> Options:
    options = Options(
        quick=args.quick,
        databases=args.databases,
        journeys=args.journeys,
        workers=args.workers,
        threads=args.threads,
        pg_url=args.pg_url,
    )
    if args.quick:
        for key, value in QUICK.items():
            setattr(options, key, value)
        options.output = RESULTS / "tmp"
        options.stem = "quick"
    for key in ("duration", "connections", "report_sizes", "report_per_day", "scale_out", "output"):
        value = getattr(args, key)
        if value is not None:
            setattr(options, key, value)
    return options


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "costs":
        from .costs import print_costs, run_costs

        rows = run_costs(
            args.database, args.waiting, args.repeat, args.pg_url, profile=args.profile
        )
        print_costs(rows, args.waiting, args.database)
        return 0
    if args.command == "notify":
        from .notify import print_notify, run_notify

        result = run_notify(args.database, args.messages, args.workers, args.repeat, args.pg_url)
        print_notify(result)
        return 0 if result["delivery"]["ok"] else 1
    return run(options_from(args))


if __name__ == "__main__":
    sys.exit(main())
