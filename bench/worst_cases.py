"""Worst cases: inputs that make per-document work explode if any stage is worse than n log n.

    python bench/worst_cases.py [--cases near-identical,one-word,...] [--scale 1.0] [--workers 1]

Each case is built at three sizes, each twice the one before, and cleaned by `cleaner clean` in
a fresh process; the table gives wall time, peak memory (the largest resident set of the run's
processes) and the growth of time per doubling of the input (about 2.0 for linear work, 2.3 is
the limit we hold ourselves to; n log n at these sizes is about 2.1).
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLEANER = [sys.executable, "-m", "cleaner", "clean"]
MAX_GROWTH = 2.3

WORDS = ("the council met on tuesday to discuss the budget for road repairs and the ferry terminal while "
         "members asked about costs delays and flooding near the old quay").split()


def near_identical(folder: Path, n: int) -> list[str]:
    """One document of n near-identical sentences (one word changed here and there)."""
    rnd = random.Random(n)
    base = "The council met on Tuesday to discuss the budget for road repairs and the new ferry terminal."
    lines = []
    for _ in range(n):
        words = base.split()
        words[rnd.randrange(len(words))] = rnd.choice(WORDS)
        lines.append(" ".join(words))
    path = folder / "near.txt"
    path.write_text(" ".join(lines) + "\n")
    return [str(path)]


def one_word(folder: Path, n: int) -> list[str]:
    """One document of one word repeated n times (keyword stuffing)."""
    path = folder / "word.txt"
    path.write_text(("casino " * n).strip() + "\n")
    return [str(path)]


def short_lines(folder: Path, n: int) -> list[str]:
    """One document of n lines holding one letter each."""
    path = folder / "lines.txt"
    path.write_text("a\n" * n)
    return [str(path)]


def vocabulary_lines(folder: Path, n: int) -> list[str]:
    """One document of n lines of 9 words drawn from a vocabulary of 50 (a generated spam page:
    every line is a near copy of many others)."""
    rnd = random.Random(n)
    vocabulary = [f"w{i}" for i in range(50)]
    path = folder / "vocabulary.txt"
    path.write_text("".join(" ".join(rnd.choices(vocabulary, k=9)) + "\n" for _ in range(n)))
    return [str(path)]


def tiny_files(folder: Path, n: int) -> list[str]:
    """n small documents, each a file of its own (a sentence of words from a vocabulary of
    5,000; near-identical documents are the other cases' business)."""
    src = folder / "tiny"
    src.mkdir()
    rnd = random.Random(n)
    vocabulary = ["".join(rnd.choices("abcdefghijklmnoprstuvwy", k=rnd.randint(3, 9))) for _ in range(5000)]
    for i in range(n):
        (src / f"f{i:07d}.txt").write_text(" ".join(rnd.choices(vocabulary, k=12)).capitalize() + ".\n")
    return [str(src)]


CASES = {  # name: (builder, sizes at scale 1)
    "near-identical": (near_identical, (1_000, 2_000, 4_000)),
    "one-word-100KB": (one_word, (14_000, 28_000, 56_000)),
    "one-word-5MB": (one_word, (180_000, 360_000, 720_000)),
    "one-letter-lines": (short_lines, (250_000, 500_000, 1_000_000)),  # past input.max_lines: not cleaned
    "one-letter-lines-cleaned": (short_lines, (5_000, 10_000, 20_000)),  # up to input.max_lines
    "vocabulary-lines": (vocabulary_lines, (5_000, 10_000, 20_000)),  # up to input.max_lines
    "tiny-files": (tiny_files, (12_500, 25_000, 50_000)),
}


def measure(inputs: list[str], out: Path, workers: int, config: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MB of the run's processes, exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run([*CLEANER, *inputs, "-o", str(out), "--workers", str(workers), "--quiet",
                           "--config", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        print(f"  failed ({proc.returncode}): {proc.stderr.decode()[-300:]}", file=sys.stderr)
    return seconds, max(peak, before) / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every size (0.1 for a quick look)")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    print("| case | size | input MB | seconds | peak RSS MB | growth per doubling |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for name in args.cases.split(","):
        build, sizes = CASES[name]
        times: list[float] = []
        for size in (max(1, int(s * args.scale)) for s in sizes):
            with tempfile.TemporaryDirectory(prefix="cleaner-worst-") as tmp:
                folder = Path(tmp)
                config = folder / "no-limit.toml"
                config.write_text("[input]\nmax_seconds = 0\n")  # measure the work, not the time limit
                inputs = build(folder, size)
                mb = sum(f.stat().st_size for i in inputs for f in ([Path(i)] if Path(i).is_file() else Path(i).iterdir())) / 1e6
                # Peak memory per measurement: a fresh child tree; ru_maxrss of children is a running
                # maximum, so each size runs in a process of its own that reports its own children's.
                seconds, peak, code = _isolated(inputs, folder / "out", args.workers, config)
                growth = f"{seconds / times[-1]:.2f}x" if times else "-"
                if times:
                    worst = max(worst, seconds / times[-1])
                times.append(seconds)
                print(f"| {name} | {size:,} | {mb:.1f} | {seconds:.1f} | {peak:.0f} | {growth} |", flush=True)
    print(f"\nlargest growth per doubling: {worst:.2f}x (limit {MAX_GROWTH}x)")


def _isolated(inputs: list[str], out: Path, workers: int, config: Path) -> tuple[float, float, int]:
    """`measure` in a child process, so the peak memory is this run's alone."""
    code = ("import sys, json; sys.path.insert(0, %r); from worst_cases import measure; from pathlib import Path; "
            "print(json.dumps(measure(%r, Path(%r), %d, Path(%r))))" % (str(Path(__file__).parent), inputs, str(out),
                                                                        workers, str(config)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    try:
        return tuple(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        print(done.stderr[-500:], file=sys.stderr)
        return float("nan"), float("nan"), -1


if __name__ == "__main__":
    main()
