#!/usr/bin/env python3
"""Check (or apply) the tune/holdout split of tests/eval/real/.

The split is a pure function of an item's URL, fixed when the item is collected:
holdout when the first byte of SHA-256(url, UTF-8) is odd, tune when it is even.

    python3 tests/eval/real/split.py            # check; exit 1 on any problem
    python3 tests/eval/real/split.py --counts   # check and print counts

The check fails when an item sits in the wrong file, a URL or an id appears twice,
a line is not valid JSON, or a required field is missing or of the wrong type.
It never prints item text, so it is safe to run on the holdout.
"""
import hashlib
import json
import pathlib
import re
import sys
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
FILES = {"tune": HERE / "tune.jsonl", "holdout": HERE / "holdout.jsonl"}
LANGUAGES = {"en", "fr", "es", "ro", "ru"}
# Trap names of tests/eval/README.md, by the label they imply (None: either label).
TRAPS = {
    "no-keyword-urgent": True, "case-code-only": True,
    "label-not-appeal": False, "statement-release-call": False, "annual-report": False,
    "monitoring-report": False, "election-report": False, "membership-news": False,
    "mentions-torture-not-urgent": False, "release-news": False, "policy-statement": False,
    "policy-call": False, "general-statement": False, "event-announcement": False,
    "digest-with-code": False, "romanian-cedilla": None, "news-register": None,
}
FIELDS = {
    "id": str, "url": str, "source": str, "relay_of": (str, type(None)), "language": str,
    "title": str, "summary": str, "categories": list, "published": (str, type(None)),
    "urgent": bool, "borderline": bool, "reason": str, "case_code": (str, type(None)),
    "trap": (str, type(None)),
}


def split_of(url: str) -> str:
    """The split an item belongs to, from its URL exactly as stored."""
    return "holdout" if hashlib.sha256(url.encode("utf-8")).digest()[0] % 2 else "tune"


def load():
    items, errors = [], []
    for split, path in FILES.items():
        if not path.exists():
            errors.append(f"{path.name}: missing")
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{path.name}:{n}: not JSON: {e}")
                continue
            items.append((split, path.name, n, item))
    return items, errors


def check(items):
    errors = []
    urls, ids = Counter(), Counter()
    for split, name, n, item in items:
        where = f"{name}:{n}"
        for field, kind in FIELDS.items():
            if field not in item:
                errors.append(f"{where}: field {field!r} missing")
            elif not isinstance(item[field], kind):
                errors.append(f"{where}: field {field!r} has the wrong type")
        url = item.get("url", "")
        if isinstance(url, str):
            urls[url] += 1
            want = split_of(url)
            if want != split:
                errors.append(f"{where}: id {item.get('id')} belongs in {want}.jsonl")
        ids[item.get("id")] += 1
        if item.get("language") not in LANGUAGES:
            errors.append(f"{where}: language {item.get('language')!r} is not one of {sorted(LANGUAGES)}")
        if isinstance(item.get("id"), str) and not re.fullmatch(r"[a-z0-9-]+-\d{3}", item["id"]):
            errors.append(f"{where}: id {item['id']!r} is not <source>-<nnn>")
        if isinstance(item.get("id"), str) and isinstance(item.get("source"), str) \
                and not item["id"].startswith(item["source"] + "-"):
            errors.append(f"{where}: id {item['id']!r} does not start with its source")
        pub = item.get("published")
        if isinstance(pub, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", pub):
            errors.append(f"{where}: published {pub!r} is not YYYY-MM-DD")
        if not item.get("title"):
            errors.append(f"{where}: empty title")
        trap = item.get("trap")
        if trap is not None and trap not in TRAPS:
            errors.append(f"{where}: unknown trap {trap!r}")
        elif trap is not None and TRAPS[trap] is not None and item.get("urgent") is not TRAPS[trap]:
            errors.append(f"{where}: trap {trap!r} contradicts urgent={item.get('urgent')}")
        if not item.get("reason"):
            errors.append(f"{where}: empty reason")
    errors += [f"URL appears {c} times: {u}" for u, c in urls.items() if c > 1]
    errors += [f"id appears {c} times: {i}" for i, c in ids.items() if c > 1]
    return errors


def counts(items):
    by_split = Counter(s for s, *_ in items)
    print(f"items: {len(items)} (tune {by_split['tune']}, holdout {by_split['holdout']}); "
          f"urgent {sum(it['urgent'] for *_, it in items)}")
    lang = Counter((it["language"], it["urgent"], s) for s, _, _, it in items)
    print("language urgent-tune urgent-holdout not-tune not-holdout total")
    for l in sorted(LANGUAGES):
        row = [lang[(l, True, "tune")], lang[(l, True, "holdout")],
               lang[(l, False, "tune")], lang[(l, False, "holdout")]]
        print(l, *row, sum(row))
    src = Counter((it["source"], s) for s, _, _, it in items)
    print("source tune holdout")
    for sname in sorted({it["source"] for *_, it in items}):
        print(sname, src[(sname, "tune")], src[(sname, "holdout")])


def main():
    items, errors = load()
    errors += check(items)
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    if "--counts" in sys.argv:
        counts(items)
    if errors:
        sys.exit(1)
    print(f"ok: {len(items)} items, every one in the file its URL hash says")


if __name__ == "__main__":
    main()
