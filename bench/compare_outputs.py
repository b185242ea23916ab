#!/usr/bin/env python3
"""Compares what two builds stored and published over the same benchmark feeds.

    bench/poll_bench.py --tocsin OLD --dump /tmp/before ...
    bench/poll_bench.py --tocsin NEW --dump /tmp/after ...
    bench/compare_outputs.py /tmp/before /tmp/after

Compares `items.jsonl` (every stored item as `tocsin items --json` prints it, sorted:
id, language, verdict, score, reasons, evidence, case codes, tags) line for line, and
every output document under `public/` byte for byte once the times of the pass itself
are masked (the feed's own `<updated>`/`lastBuildDate`/generation time, which is when
the pass ran). Exits 1 on any difference, printing the first ones.
"""

import os
import re
import sys

# Times that say when the pass ran, not what was read: ISO 8601 and RFC 2822 forms of
# "now" differ between two runs of the same build.
VOLATILE = [
    re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"),
    re.compile(rb"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"),
]


def mask(data, keep):
    """Masks the times in `data` that are not in `keep` (the times the feeds carry)."""
    for rx in VOLATILE:
        data = rx.sub(lambda m: m.group(0) if m.group(0) in keep else b"<now>", data)
    # The page prints such a time for people too ("2026-11-29 18:59 UTC"): two passes a
    # minute apart differ there alone.
    return NOW_TEXT.sub(rb'<time datetime="<now>"><now></time>', data)


NOW_TEXT = re.compile(rb'<time datetime="<now>">[^<]*</time>')


def feed_times(items_path):
    """Every time the stored items carry, in the forms the documents print them."""
    keep = set()
    with open(items_path, "rb") as f:
        for rx in VOLATILE:
            for m in rx.finditer(f.read()):
                keep.add(m.group(0))
            f.seek(0)
    return keep


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    a, b = sys.argv[1:]
    problems = []
    with open(os.path.join(a, "items.jsonl"), "rb") as f:
        ia = f.read().splitlines()
    with open(os.path.join(b, "items.jsonl"), "rb") as f:
        ib = f.read().splitlines()
    if len(ia) != len(ib):
        problems.append(f"items.jsonl: {len(ia)} items against {len(ib)}")
    for n, (x, y) in enumerate(zip(ia, ib)):
        if x != y:
            problems.append(f"items.jsonl line {n + 1}:\n  {x[:300]!r}\n  {y[:300]!r}")
    keep = feed_times(os.path.join(a, "items.jsonl"))
    pa, pb = os.path.join(a, "public"), os.path.join(b, "public")
    files = lambda root: sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
    )
    fa, fb = files(pa), files(pb)
    if fa != fb:
        problems.append(f"documents differ: only in {a}: {sorted(set(fa) - set(fb))[:5]}, "
                        f"only in {b}: {sorted(set(fb) - set(fa))[:5]}")
    for rel in sorted(set(fa) & set(fb)):
        with open(os.path.join(pa, rel), "rb") as f:
            da = mask(f.read(), keep)
        with open(os.path.join(pb, rel), "rb") as f:
            db = mask(f.read(), keep)
        if da != db:
            at = next(i for i, (x, y) in enumerate(zip(da, db)) if x != y) if len(da) == len(db) else min(len(da), len(db))
            problems.append(f"{rel}: differs near byte {at}:\n  {da[max(0, at - 80):at + 80]!r}\n  {db[max(0, at - 80):at + 80]!r}")
    print(f"{len(ia)} items, {len(fa)} documents compared")
    for p in problems[:10]:
        print(p)
    if problems:
        raise SystemExit(f"{len(problems)} differences")
    print("same items, same verdicts, same documents")


if __name__ == "__main__":
    main()
