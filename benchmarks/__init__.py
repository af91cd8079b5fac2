"""Load benchmarks of every journey against the stack's own ceiling (see README "Benchmarks").

``python -m benchmarks run`` starts the app and two baselines under gunicorn, drives them with
wrk, checks correctness after every run and writes ``benchmarks/results/latest.{md,json}``.
"""
