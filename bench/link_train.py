"""Training choices measured on a realistic extract: u-sampling size, and what each costs.

    python bench/link_train.py [--size 100k] [--profile police] [--seed 1]
                               [--max-pairs 2e6,5e5] [--generation-years 12,14] [--u-seeds 1,2]
                               [--guards-off twins+siblings,-] [--frequency-u 1,0]
                               [--siblings-always 0,1] [--pnc-waiver 1,0]
                               [--match-threshold 0.95,0.9] [--json out.json]

The extract (``safeguard simulate-extracts``, cached as ``bench/link_realistic.py`` caches it) is
ingested once into a SQLite database kept beside it; then, for each ``--max-pairs``, one
``link_all`` trains a new model (``retrain``) with that many pairs for Splink's
``estimate_u_using_random_sampling``, predicts, clusters and stores, and the stored people are
scored against the truth (``link_truth``). Seconds are wall time of this one process: the time
of u sampling alone, of training, and of the whole run. Everything but the u sample is the
same between the runs (same data, same code, same seed). ``--generation-years`` sets, per run,
how many years apart two dates of birth are "a generation apart" (the domain's
``GENERATION_GAP_YEARS``, used by the model's level, the guards and the Spark hard negatives).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import link_realistic as lr  # noqa: E402
import link_truth  # noqa: E402

from safeguard.adapters.db.engine import make_engine, upgrade  # noqa: E402
from safeguard.services.unit_of_work import OPERATOR_RUN


def _database(directory: Path) -> Path:
    """The extract ingested once (the database is kept beside the extract)."""
    db = directory.with_name(directory.name + "-ingested.db")
    done = db.with_suffix(".ok")
    if not done.exists():
        from safeguard.services.ingest import ingest_paths

        db.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        t0 = time.perf_counter()
        ingest_paths(engine, [directory / "interchange"], actor=OPERATOR_RUN)
        engine.dispose()
        print(f"ingested in {time.perf_counter() - t0:.0f} s", flush=True)
        done.touch()
    return db


def _timed_u_sampling() -> list[float]:
    """Record the seconds of every ``estimate_u_using_random_sampling`` call."""
    from splink.internals.linker_components.training import LinkerTraining

    seconds: list[float] = []
    original = LinkerTraining.estimate_u_using_random_sampling

    @functools.wraps(original)
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - t0)

    LinkerTraining.estimate_u_using_random_sampling = timed  # type: ignore[method-assign]
    return seconds


def run(
    db: Path,
    work: Path,
    max_pairs: float,
    generation: int | None,
    seed: int | None,
    truth: link_truth.Truth,
    *,
    guards_off: frozenset[str] = frozenset(),
    frequency_u: bool = True,
    siblings_always: bool = False,
    pnc_waiver: bool = True,
    match_threshold: float | None = None,
) -> dict[str, Any]:
    from safeguard.adapters.linkage import engine, guards, model
    from safeguard.services.linking.config import LinkConfig
    from safeguard.services.linking.runs import link_all

    u_seconds = _timed_u_sampling()
    model.U_MAX_PAIRS = max_pairs  # read by model.train at call time
    if seed is not None:
        model.U_SEED = seed
    model.FREQUENCY_U = frequency_u
    guards.WAIVE_BY_PNC_GROUP = pnc_waiver
    # the sibling guard on whatever the anchor pairs' forenames measure
    model.MAX_FORENAME_DIFFER_RATE = 1.0 if siblings_always else 0.04
    if generation is not None:  # the SQL is written at call time from these module names
        for module in (model, engine, guards):
            module.GENERATION_GAP_YEARS = generation  # type: ignore[attr-defined]
    engine = make_engine(f"sqlite:///{db}")
    config = LinkConfig(
        store_dir=work / f"store-{max_pairs:g}", retrain=True, guards_off=guards_off
    )
    if match_threshold is not None:
        config = dataclasses.replace(config, match_threshold=match_threshold)
    t0 = time.perf_counter()
    summary = link_all(engine, actor=OPERATOR_RUN, config=config)
    seconds = time.perf_counter() - t0
    engine.dispose()
    acc = link_truth.score(lr.db_clusters(db), truth)
    return {
        "max_pairs": max_pairs,
        "generation_years": model.GENERATION_GAP_YEARS,
        "u_seed": model.U_SEED,
        "frequency_u": frequency_u,
        "guards_off": sorted(guards_off),
        "siblings_always": siblings_always,
        "pnc_waiver": pnc_waiver,
        "match_threshold": config.match_threshold,
        "u_sampling_s": round(sum(u_seconds), 1),
        "link_s": round(seconds, 1),
        "stages": summary.stages,
        **acc.as_dict(),
        "merge_rates": {r: acc.merge_rate(r) for r in link_truth.RELATIONS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--profile", default="police")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-pairs", default="2e6,5e5")
    parser.add_argument(
        "--generation-years",
        default="",
        help="years apart that are a generation, per run (default: the domain's, each run)",
    )
    parser.add_argument("--u-seeds", default="", help="seed of the u sample, per run")
    parser.add_argument(
        "--guards-off", default="", help="per run: guards turned off, joined by '+' ('-': none)"
    )
    parser.add_argument("--frequency-u", default="", help="per run: 1 (default) or 0 (sampled)")
    parser.add_argument(
        "--siblings-always", default="", help="per run: 1 = sibling guard on whatever forenames"
    )
    parser.add_argument(
        "--pnc-waiver", default="", help="per run: 1 (default) or 0 (guards not waived by PNC id)"
    )
    parser.add_argument("--match-threshold", default="", help="per run (default: the policy's)")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    directory = lr.extracts_dir(args.profile, lr.size_of(args.size), args.seed)
    db = _database(directory)
    truth = link_truth.Truth.load(directory)
    work = directory.with_name(directory.name + "-train")
    results = []
    values = args.max_pairs.split(",")

    def per_run(text: str) -> list[int | None]:
        given = [int(v) if v else None for v in text.split(",")]
        return given * len(values) if len(given) == 1 else given

    years, seeds = per_run(args.generation_years), per_run(args.u_seeds)

    def texts(text: str) -> list[str]:
        given = text.split(",")
        return given * len(values) if len(given) == 1 else given

    offs, freqs, sibs = texts(args.guards_off), texts(args.frequency_u), texts(args.siblings_always)
    waivers, thresholds = texts(args.pnc_waiver), texts(args.match_threshold)
    for value, generation, seed, off, freq, sib, waiver, threshold in zip(
        values, years, seeds, offs, freqs, sibs, waivers, thresholds, strict=True
    ):
        result = run(
            db,
            work,
            float(value),
            generation,
            seed,
            truth,
            guards_off=frozenset(g for g in off.split("+") if g and g != "-"),
            frequency_u=freq != "0",
            siblings_always=sib == "1",
            pnc_waiver=waiver != "0",
            match_threshold=float(threshold) if threshold else None,
        )
        results.append(result)
        rates = ", ".join(f"{k} {v:.1%}" for k, v in result["merge_rates"].items() if v is not None)
        print(
            f"max_pairs {float(value):g}, generation {result['generation_years']}, "
            f"seed {result['u_seed']}, frequency u {freq != '0'}, off {off or '-'}, "
            f"siblings always {sib == '1'}, PNC waiver {waiver != '0'}, "
            f"threshold {result['match_threshold']}: "
            f"u sampling {result['u_sampling_s']} s, link "
            f"{result['link_s']} s, P {result['precision']} R {result['recall']} "
            f"F1 {result['f1']}; {rates}; stages {result['stages']}",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
