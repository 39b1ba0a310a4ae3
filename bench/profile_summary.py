"""Where the CPU of py-spy's collapsed stacks went (`bench/writes.py --profile DIR` writes them).

    python bench/profile_summary.py DIR/sqlite-W5_create-*.txt [--top 30] [--focus commit_change]

Prints the functions with the largest share of the samples: inclusive (the function and what it
called) and self (the function's own lines). `--focus NAME` counts only the samples whose stack
passes through a function of that name, as shares of those.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    """`function (path/to/file.py:123)` → `function (to/file.py)`: one name per function."""
    found = FRAME.match(frame)
    if found is None:
        return frame
    parts = found["file"].split("/")
    return f"{found['function']} ({'/'.join(parts[-2:])})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--focus", default="")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for path in args.files:
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            frames = [short(frame) for frame in stack.split(";")]
            if args.focus and not any(f.startswith(f"{args.focus} ") for f in frames):
                continue
            count = int(count_text)
            total += count
            for name in set(frames):
                inclusive[name] += count
            own[frames[-1]] += count
    if not total:
        raise SystemExit("no samples")
    print(f"{total:,} samples{f' through {args.focus}' if args.focus else ''}")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")
        for name, count in counter.most_common(args.top):
            print(f"  {count / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
