"""Every benchmark, one after another: ``python -m bench`` (``make bench``).

Each benchmark runs as its own child process (``python -m bench.<name>``), so none inherits
another's caches, heap or servers, and one that fails does not stop the others. Their output
is streamed as it comes and, with ``--out DIR``, kept in ``DIR/<name>.txt``; the PNG plots of
``bench.growth`` go to ``DIR/plots`` then. At the end a summary prints each benchmark's exit
status, wall time and verdict line (its last line: PASS/MISS or MET/NOT MET per target, or
its last figure where it has no target).

No figure is judged here: a MISS does not change the exit status, which is non-zero only
when a benchmark itself failed (a broken path refuses to be timed). ``--quick`` passes
``--quick`` to each for a smoke run of everything.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS: tuple[str, ...] = (
    "sd_jwt",
    "rules",
    "trust",
    "issuer",
    "verifier",
    "wallet",
    "wallet_service",
    "haip",
    "footprint",
    "growth",
    "services",
    "hostile",
)
"""In-process figures first, then the servers, then the hostile load (the longest)."""


@dataclass(frozen=True)
class Outcome:
    name: str
    status: int
    seconds: float
    verdict: str


def run_one(name: str, *, quick: bool, out: Path | None, rpc_url: str | None = None) -> Outcome:
    """Run ``python -m bench.<name>``, streaming its output; its last line is the verdict."""
    command = [sys.executable, "-m", f"bench.{name}"]
    if quick:
        command.append("--quick")
    if name == "growth" and out is not None:
        command += ["--plots", str(out / "plots")]
    if name == "trust" and rpc_url is not None:
        command += ["--rpc-url", rpc_url]
    print(f"==> python -m bench.{name}{' --quick' if quick else ''}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(line)
            lines.append(line)
    seconds = time.perf_counter() - started
    if out is not None:
        (out / f"{name}.txt").write_text("".join(lines), encoding="utf-8")
    last = next((line.strip() for line in reversed(lines) if line.strip()), "(no output)")
    return Outcome(name, child.returncode, seconds, last)


def print_summary(outcomes: list[Outcome]) -> None:
    print()
    print("==> summary")
    print(f"{'benchmark':<16}{'exit':>5}{'seconds':>9}  verdict (its last line)")
    for outcome in outcomes:
        print(
            f"{outcome.name:<16}{outcome.status:>5}{outcome.seconds:>9.1f}  {outcome.verdict[:160]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run every benchmark and summarise their verdicts."
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of every benchmark")
    parser.add_argument(
        "--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}", default=""
    )
    parser.add_argument("--skip", help="comma-separated benchmarks to leave out", default="")
    parser.add_argument("--out", type=Path, help="keep each output (and the plots) in DIR")
    parser.add_argument(
        "--rpc-url", help="a chain node (e.g. anvil) for bench.trust's refresh figures"
    )
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    skip = {name for name in args.skip.split(",") if name}
    unknown = [name for name in [*only, *skip] if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    selected = [name for name in (only or BENCHMARKS) if name not in skip]
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    outcomes = [
        run_one(name, quick=args.quick, out=args.out, rpc_url=args.rpc_url) for name in selected
    ]
    print_summary(outcomes)
    return 0 if all(outcome.status == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
