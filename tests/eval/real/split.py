#!/usr/bin/env python3
"""Check the tune/holdout split of tests/eval/real/ (eight files).

The split is a pure function of an item's URL, fixed when the item is collected:
holdout when the first byte of SHA-256(url, UTF-8) is odd, tune when it is even.
The holdouts of round 1 (`holdout.jsonl`) and round 2 (`holdout2.jsonl`) are spent: each
was measured once and its misses were reported. Items collected in round 3 go to
`holdout3.jsonl` (odd) or `tune.jsonl` (even); round 3's holdout is spent too, and items
collected in round 4 went to `holdout4.jsonl` (odd, now spent as well) or `tune.jsonl`
(even), items collected in round 5 went to `holdout5.jsonl` (odd, now spent as well) or
`tune.jsonl` (even), items collected in round 6 went to `holdout6.jsonl` (odd, now spent
as well) or `tune.jsonl` (even), and items collected in round 7 go to `holdout7.jsonl`
(odd) or `tune.jsonl` (even); every holdout file must hold odd URLs only, and no URL or
id may appear twice across the eight files. `add.py` appends new
items by this rule.

    python3 tests/eval/real/split.py            # check; exit 1 on any problem
    python3 tests/eval/real/split.py --counts   # check and print counts
    python3 tests/eval/real/split.py --markdown # check and print the README count tables

The check fails when an item sits in the wrong file (an even URL in a holdout file,
an odd one in tune.jsonl), a URL or an id appears twice,
a line is not valid JSON, a required field is missing or of the wrong type, an id
does not start with its source, a date is not YYYY-MM-DD, or a trap name is unknown
or contradicts the label it implies. It never prints item text (only ids, file
positions and counts), so it is safe to run on the holdout.
"""
import hashlib
import json
import pathlib
import re
import sys
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
FILES = {"tune": HERE / "tune.jsonl", "holdout": HERE / "holdout.jsonl",
         "holdout2": HERE / "holdout2.jsonl", "holdout3": HERE / "holdout3.jsonl",
         "holdout4": HERE / "holdout4.jsonl",
         "holdout5": HERE / "holdout5.jsonl", "holdout6": HERE / "holdout6.jsonl",
         "holdout7": HERE / "holdout7.jsonl"}
# The hash side each file holds: every holdout takes the odd URLs.
SIDE = {"tune": "tune", "holdout": "holdout", "holdout2": "holdout", "holdout3": "holdout",
        "holdout4": "holdout",
        "holdout5": "holdout", "holdout6": "holdout", "holdout7": "holdout"}
# The file add.py appends new odd-hash items to: the blind holdout of the current round.
CURRENT_HOLDOUT = "holdout7"
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
            if want != SIDE[split]:
                home = ("tune.jsonl" if want == "tune" else
                        f"{CURRENT_HOLDOUT}.jsonl (new items) or an older holdout file")
                errors.append(f"{where}: id {item.get('id')} belongs in {home}")
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


SPLITS = list(FILES)  # tune, holdout (round 1, spent), holdout2 (round 2, spent), holdout3 (round 3, spent), holdout4 (round 4, spent), holdout5 (round 5, spent), holdout6 (round 6, spent), holdout7 (round 7, blind)


def counts(items):
    by_split = Counter(s for s, *_ in items)
    print(f"items: {len(items)} (" + ", ".join(f"{f} {by_split[f]}" for f in SPLITS)
          + f"); urgent {sum(it['urgent'] for *_, it in items)}")
    lang = Counter((it["language"], it["urgent"], s) for s, _, _, it in items)
    print("language " + " ".join(f"urgent-{f}" for f in SPLITS) + " "
          + " ".join(f"not-{f}" for f in SPLITS) + " total")
    for l in sorted(LANGUAGES):
        row = [lang[(l, u, f)] for u in (True, False) for f in SPLITS]
        print(l, *row, sum(row))
    src = Counter((it["source"], s) for s, _, _, it in items)
    print("source " + " ".join(SPLITS))
    for sname in sorted({it["source"] for *_, it in items}):
        print(sname, *(src[(sname, f)] for f in SPLITS))


SHIPPED = ["omct-en", "omct-fr", "omct-es", "fidh-en", "fidh-fr", "fidh-es",
           "promolex-ro", "promolex-ru", "promolex-en", "amnesty-en", "amnesty-fr",
           "amnesty-es", "amnesty-ru", "fld-en", "fld-fr", "fld-es"]


def markdown(items):
    """The count tables of README.md (counts only, no item text), one column per file."""
    out = []
    p = out.append
    cols = " | ".join(SPLITS)
    right = "|".join("---:" for _ in SPLITS)
    p("### Language × label × file\n")
    p("| language | " + " | ".join(f"urgent {f}" for f in SPLITS) + " | "
      + " | ".join(f"not urgent {f}" for f in SPLITS) + " | total | urgent share |")
    p("|---|" + right + "|" + right + "|---:|---:|")
    total = Counter()
    for lg in ["en", "fr", "es", "ro", "ru"]:
        c = Counter((it["urgent"], s) for s, _, _, it in items if it["language"] == lg)
        n, u = sum(c.values()), sum(c[(True, f)] for f in SPLITS)
        p(f"| {lg} | " + " | ".join(str(c[(True, f)]) for f in SPLITS) + " | "
          + " | ".join(str(c[(False, f)]) for f in SPLITS)
          + f" | {n} | {100 * u / max(n, 1):.0f}% |")
        total.update(c)
    n, u = sum(total.values()), sum(total[(True, f)] for f in SPLITS)
    p("| **all** | " + " | ".join(str(total[(True, f)]) for f in SPLITS) + " | "
      + " | ".join(str(total[(False, f)]) for f in SPLITS)
      + f" | {n} | {100 * u / max(n, 1):.1f}% |")
    p("")
    p("### Shipped publishers: own items and relays × file\n")
    p("\"Own\" counts items whose `source` is the id; \"relays\" counts items of other "
      "outlets whose `relay_of` is the id.\n")
    p("| publisher id | " + " | ".join(f"own {f}" for f in SPLITS) + " | "
      + " | ".join(f"relays {f}" for f in SPLITS) + " |")
    p("|---|" + right + "|" + right + "|")
    for sid in SHIPPED:
        own = Counter(s for s, _, _, it in items if it["source"] == sid)
        rel = Counter(s for s, _, _, it in items if it["relay_of"] == sid)
        p(f"| `{sid}` | " + " | ".join(str(own[f]) for f in SPLITS) + " | "
          + " | ".join(str(rel[f]) for f in SPLITS) + " |")
    p("")
    p("### Every source × file\n")
    p(f"| source | relay of | {cols} | total |")
    p("|---|---|" + right + "|---:|")
    src = Counter((it["source"], s) for s, _, _, it in items)
    relay = {}
    for *_, it in items:
        if it["relay_of"]:
            relay.setdefault(it["source"], set()).add(it["relay_of"])
    names = sorted({it["source"] for *_, it in items},
                   key=lambda x: (-sum(src[(x, f)] for f in SPLITS), x))
    for x in names:
        r = ", ".join(f"`{y}`" for y in sorted(relay.get(x, ()))) or "–"
        p(f"| `{x}` | {r} | " + " | ".join(str(src[(x, f)]) for f in SPLITS)
          + f" | {sum(src[(x, f)] for f in SPLITS)} |")
    p("")
    p("### Traps × label × file\n")
    p(f"| trap | urgent | not urgent | {cols} |")
    p("|---|---:|---:|" + right + "|")
    lab = Counter((it["trap"] or "(none)", it["urgent"]) for *_, it in items)
    spl = Counter((it["trap"] or "(none)", s) for s, _, _, it in items)
    for t in sorted({it["trap"] or "(none)" for *_, it in items}):
        p(f"| `{t}` | {lab[(t, True)]} | {lab[(t, False)]} | "
          + " | ".join(str(spl[(t, f)]) for f in SPLITS) + " |")
    p("")
    bl = Counter((it["urgent"], s) for s, _, _, it in items if it["borderline"])
    uk = Counter((it.get("url_kind"), s) for s, _, _, it in items)
    p("### Other counts\n")
    p(f"- borderline: {sum(bl[(True, f)] for f in SPLITS)} urgent + "
      f"{sum(bl[(False, f)] for f in SPLITS)} not urgent ("
      + ", ".join(f"{f} {bl[(True, f)] + bl[(False, f)]}" for f in SPLITS) + ")")
    for k in ("item", "listing"):
        p(f"- `url_kind` `{k}`: " + ", ".join(f"{f} {uk[(k, f)]}" for f in SPLITS))
    p(f"- relays (`relay_of` set): {sum(1 for *_, it in items if it['relay_of'])}; "
      f"distinct sources: {len({it['source'] for *_, it in items})}")
    p(f"- empty `summary`: {sum(1 for *_, it in items if not it['summary'])}; "
      f"`published` known: {sum(1 for *_, it in items if it['published'])}; "
      f"`case_code` set: {sum(1 for *_, it in items if it['case_code'])}")
    print("\n".join(out))


def main():
    items, errors = load()
    errors += check(items)
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    if "--counts" in sys.argv:
        counts(items)
    if "--markdown" in sys.argv and not errors:
        markdown(items)
    if errors:
        sys.exit(1)
    if "--markdown" not in sys.argv:
        print(f"ok: {len(items)} items, every one in the file its URL hash says")


if __name__ == "__main__":
    main()
