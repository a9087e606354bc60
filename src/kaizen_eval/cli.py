"""The ``kaizen-eval`` command: thin; it parses, calls the public API and prints.

Exit codes that scripts can rely on:

``0``
    success;
``2``
    a user mistake (bad argument, missing file or column, invalid plan): a one-paragraph
    message on standard error, never a traceback;
``1``
    an internal error (a bug: please report it with the traceback);
``130``
    interrupted (Ctrl-C): reports and assignments are written atomically, so nothing
    half-written is left.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_BUG, EXIT_USER = 0, 1, 2


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, indent=2, default=_json_default))
    else:
        print(text)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def _cmd_demo(args: argparse.Namespace) -> int:
    from kaizen_eval.pipeline.demo import run_demo

    summary = run_demo(
        Path(args.out),
        seed=args.seed,
        progress=not args.quiet,
        overwrite=args.force,
        flag="--force",
    )
    _emit(
        args,
        summary,
        f"Report written to {summary['report']}\n" + summary.get("headline", ""),
    )
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    from kaizen_eval import synthetic

    seed = synthetic.BUNDLED_SEEDS[args.site] if args.seed is None else args.seed
    trial = synthetic.simulate_trial(args.site, n_firms=args.n_firms, seed=seed)
    out = Path(args.out)
    trial.write(out, overwrite=args.force, flag="--force")
    bundled = args.seed is None and args.n_firms is None
    _emit(
        args,
        {"site": args.site, "seed": seed, "bundled": bundled, "out": out, "truth": trial.truth},
        f"Synthetic {args.site} trial (seed {seed}"
        + (", the bundled trial of data/synthetic/" if bundled else "")
        + f") written to {out}",
    )
    return EXIT_OK


def _cmd_cost_benefit(args: argparse.Namespace) -> int:
    import kaizen_eval as ke

    cb = ke.cost_benefit(
        gain=args.gain,
        cost=args.cost,
        years=args.years,
        discount_rate=args.discount_rate,
        decay=args.decay,
    )
    payload = {
        "npv": cb.npv,
        "bcr": cb.bcr,
        "irr": cb.irr,
        "payback_years": cb.payback_years,
    }
    _emit(args, payload, cb.summary() if hasattr(cb, "summary") else repr(cb))
    return EXIT_OK


def _cmd_estimate(args: argparse.Namespace) -> int:
    import kaizen_eval as ke

    df = ke.read_wave(args.data)
    kwargs: dict[str, Any] = {
        "outcome": args.outcome,
        "covariates": tuple(args.covariates or ()),
        "fixed_effects": args.fixed_effects,
        "cluster": args.cluster,
        "se": args.se,
    }
    if args.estimand == "itt":
        r = ke.itt(df, treatment=args.treatment, **kwargs)
    elif args.estimand == "late":
        if not args.instrument:
            raise _UsageError("`estimate late` needs --instrument (the random assignment).")
        r = ke.late(df, treatment=args.treatment, instrument=args.instrument, **kwargs)
    else:
        r = ke.att(df, treatment=args.treatment, instrument=args.instrument, **kwargs)
    tidy = r.tidy()
    _emit(
        args,
        {
            "estimand": r.estimand,
            "nobs": r.nobs,
            "se_type": r.se_type,
            "terms": tidy.reset_index().to_dict(orient="records"),
        },
        r.summary(),
    )
    return EXIT_OK


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    """Return the progress printer of a report command (silent with ``--quiet``)."""
    start = time.perf_counter()

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:5.1f}s] {message}", file=sys.stderr, flush=True)

    return log


def _report_options(parser: argparse.ArgumentParser, data_root_help: str) -> None:
    """Add the options every report-writing command takes."""
    parser.add_argument("--out", required=True, help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    parser.add_argument("--force", action="store_true", help="replace an existing report folder")
    parser.add_argument("--data-root", help=data_root_help)


def _cmd_run(args: argparse.Namespace) -> int:
    from kaizen_eval.pipeline import load_plan
    from kaizen_eval.pipeline.run import run_plan

    plan = load_plan(args.plan, data_root=args.data_root)
    log = _progress(args)
    res = run_plan(plan, Path(args.out), log=log, overwrite=args.force, flag="--force")
    payload = {
        "report": str(Path(args.out) / "index.html"),
        "plan_sha256": plan.sha256,
        "estimates": {
            e.label: e.result.tidy().reset_index().to_dict(orient="records") for e in res.estimates
        },
        "cost_benefit": {
            label: {"bcr": cb.bcr, "npv": cb.npv} for label, cb in res.cost_benefit.items()
        },
    }
    _emit(args, payload, f"Report written to {payload['report']}\n{res.headline()}")
    return EXIT_OK


def _cmd_pool(args: argparse.Namespace) -> int:
    from kaizen_eval.pipeline import load_plan
    from kaizen_eval.pipeline.run_sites import run_sites

    plans = {}
    for item in args.site:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise _UsageError(
                f"--site takes NAME=PLAN pairs such as ghana=ghana/plan.toml; got {item!r}."
            )
        if name in plans:
            raise _UsageError(f"--site {name!r} is given twice.")
        plans[name] = load_plan(path, data_root=args.data_root)
    log = _progress(args)
    res = run_sites(plans, args.pool, Path(args.out), log=log, overwrite=args.force, flag="--force")
    pooled = res.cross_site.pooled
    payload = {
        "report": str(Path(args.out) / "index.html"),
        "sites": list(res.sites),
        "pooled": pooled.tidy().reset_index().to_dict(orient="records"),
        "rollout": {k: {"bcr": cb.bcr, "prob_bcr_above_1": cb.prob_bcr_above_1}
                    for k, cb in res.cross_site.rollout.items()},
    }  # fmt: skip
    _emit(args, payload, f"Report written to {payload['report']}\n{pooled.summary()}")
    return EXIT_OK


def _parse_arms(items: Sequence[str]) -> dict[str, float]:
    arms = {}
    for item in items:
        name, sep, share = item.partition("=")
        try:
            arms[name] = float(share)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise _UsageError(f"--arms takes NAME=SHARE pairs such as invited=0.5; got {item!r}.")
    return arms


def _cmd_assign(args: argparse.Namespace) -> int:
    import kaizen_eval as ke

    frame = ke.read_wave(args.frame)
    asg = ke.assign(
        frame,
        id_col=args.id,
        arms=_parse_arms(args.arms),
        strata=args.strata,
        cluster=args.cluster,
        seed=args.seed,
    )
    from kaizen_eval._atomic import OutputExistsError

    try:
        path = asg.write(args.out, force=args.force)
    except OutputExistsError as err:  # say it the command line's way
        raise OutputExistsError(str(err).replace("Pass force=True", "Pass --force")) from None
    counts = asg.frame.drop(columns=[args.id]).sum().astype(int).to_dict()
    _emit(
        args,
        {"out": path, "manifest": asg.manifest, "assigned": counts},
        f"Assignment of {len(asg.frame)} units written to {path}; assigned: {counts}",
    )
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    import kaizen_eval as ke

    asg = ke.Assignment.read(args.assignment)
    asg.verify(ke.read_wave(args.frame))
    _emit(
        args,
        {"verified": True, "manifest": asg.manifest},
        f"{args.assignment}: re-derived from {args.frame} — identical.",
    )
    return EXIT_OK


def _cmd_balance(args: argparse.Namespace) -> int:
    import kaizen_eval as ke

    bt = ke.balance(
        ke.read_wave(args.data),
        treatment=args.treatment,
        covariates=args.covariates,
        strata=args.strata,
        cluster=args.cluster,
        se=args.se,
    )
    text = {"markdown": bt.to_markdown, "latex": bt.to_latex, "html": bt.to_html}[args.format]()
    _emit(
        args,
        {
            "table": bt.table.reset_index().to_dict(orient="records"),
            "joint_f": bt.joint_f,
            "joint_pvalue": bt.joint_pvalue,
        },
        text,
    )
    return EXIT_OK


class _UsageError(Exception):
    """A command-line mistake caught before calling the API."""


def _parser() -> argparse.ArgumentParser:
    from typing import get_args

    from kaizen_eval._version import __version__
    from kaizen_eval.pipeline.plan import EstimandName
    from kaizen_eval.synthetic.sites import SITES

    p = argparse.ArgumentParser(
        prog="kaizen-eval",
        description="Analyse randomized evaluations of Kaizen management training: survey "
        "waves → design → ITT/LATE/ATT → cost-benefit → report.",
    )
    p.add_argument("--version", action="version", version=f"kaizen-eval {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.add_argument("--json", action="store_true", help="machine-readable output")
        return sp

    d = add("demo", "run the bundled synthetic trials end to end and write a report")
    d.add_argument("--out", default="kaizen-report", help="report folder (default: %(default)s)")
    d.add_argument(
        "--seed",
        type=int,
        default=None,
        help="simulate new trials with this seed instead of the bundled ones",
    )
    d.add_argument("--quiet", action="store_true", help="no progress bars")
    d.add_argument("--force", action="store_true", help="replace an existing report folder")
    d.set_defaults(handler=_cmd_demo)

    s = add("simulate", "write a synthetic trial with known truth (parquet waves + truth.json)")
    s.add_argument("site", choices=list(SITES))
    s.add_argument("--out", required=True)
    s.add_argument("--n-firms", type=int, default=None)
    s.add_argument(
        "--seed", type=int, default=None, help="default: the bundled trial's seed (Ghana 21)"
    )
    s.add_argument("--force", action="store_true", help="replace an existing trial folder")
    s.set_defaults(handler=_cmd_simulate)

    e = add("estimate", "estimate an ITT, LATE or ATT from one data file")
    e.add_argument("estimand", choices=get_args(EstimandName))
    e.add_argument("data", help=".parquet, .csv, .dta or .xlsx file")
    e.add_argument("--outcome", required=True)
    e.add_argument("--treatment", required=True, nargs="+")
    e.add_argument("--instrument", nargs="+")
    e.add_argument("--covariates", nargs="*")
    e.add_argument("--fixed-effects", nargs="*")
    e.add_argument("--cluster")
    e.add_argument("--se")
    e.set_defaults(handler=_cmd_estimate)

    for name, help_text in [
        ("run", "run an analysis plan (TOML) and write its report"),
        ("report", "write the report of an analysis plan (the same as `run`)"),
    ]:
        r = add(name, help_text)
        r.add_argument("plan", help="analysis plan file")
        _report_options(r, "a folder outside the plan's folder that the plan may read data from")
        r.set_defaults(handler=_cmd_run)

    pl = add("pool", "run several sites' plans and pool one estimate across them (one report)")
    pl.add_argument(
        "--site",
        nargs="+",
        required=True,
        metavar="NAME=PLAN",
        help="each site's name and analysis plan file (at least two)",
    )
    pl.add_argument("--pool", required=True, help="pool plan file ([pool], [pool.rollout])")
    _report_options(pl, "a folder outside the plans' folders that the plans may read data from")
    pl.set_defaults(handler=_cmd_pool)

    a = add("assign", "draw a reproducible stratified random assignment and write it")
    a.add_argument("frame", help="sampling frame (.parquet, .csv, .dta, .xlsx)")
    a.add_argument("--out", required=True, help="assignment file to write (.parquet or .csv)")
    a.add_argument("--id", default="firm_id", help="id column (default: %(default)s)")
    a.add_argument("--arms", nargs="+", default=["invited=0.5"], metavar="NAME=SHARE")
    a.add_argument("--strata", nargs="*")
    a.add_argument("--cluster")
    a.add_argument("--seed", type=int, required=True)
    a.add_argument("--force", action="store_true", help="overwrite an existing file")
    a.set_defaults(handler=_cmd_assign)

    v = add("verify", "re-derive an assignment from its frame and manifest; fail if it differs")
    v.add_argument("assignment", help="assignment file written by `assign`")
    v.add_argument("frame", help="the sampling frame it was drawn from")
    v.set_defaults(handler=_cmd_verify)

    b = add("balance", "baseline balance table by arm")
    b.add_argument("data")
    b.add_argument("--treatment", required=True, nargs="+")
    b.add_argument("--covariates", required=True, nargs="+")
    b.add_argument("--strata")
    b.add_argument("--cluster")
    b.add_argument("--se")
    b.add_argument("--format", choices=["markdown", "latex", "html"], default="markdown")
    b.set_defaults(handler=_cmd_balance)

    c = add("cost-benefit", "NPV, benefit-cost ratio, IRR and payback of a per-participant gain")
    c.add_argument("--gain", type=float, required=True, help="annual gain per participant")
    c.add_argument("--cost", type=float, required=True, help="cost per participant")
    c.add_argument("--years", type=float, default=1)
    c.add_argument("--discount-rate", type=float, default=0.0)
    c.add_argument("--decay", type=float, default=0.0)
    c.set_defaults(handler=_cmd_cost_benefit)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Examples
    --------
    >>> main(["cost-benefit", "--gain", "13890", "--cost", "740", "--json"])  # doctest: +SKIP
    0
    """
    from kaizen_eval._validation import KaizenError

    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USER
    try:
        return int(args.handler(args))
    except (KaizenError, KeyError, OSError, _UsageError) as exc:
        # OSError: files the user named (missing, a folder, no permission, disk full)
        msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        text = textwrap.fill(  # never split a path or a column name: they must stay copyable
            f"kaizen-eval {args.command}: error: {msg}",
            width=100,
            break_long_words=False,
            break_on_hyphens=False,
        )
        print(text, file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print(f"kaizen-eval {args.command}: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
