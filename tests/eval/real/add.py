#!/usr/bin/env python3
"""Add newly collected items to the split files, by the URL-hash rule.

    python3 tests/eval/real/add.py NEW.jsonl          # add every line of NEW.jsonl
    python3 tests/eval/real/add.py --dry-run NEW.jsonl

Each line of NEW.jsonl is an item with every field of README.md except `id` (an `id`
given is ignored): the next free `<source>-<nnn>` across all files is assigned. An item
is refused when its URL or its folded title (lower case, accents and punctuation
dropped) is already in any file, or when it repeats one of NEW.jsonl's earlier lines.
Accepted items are appended to the file their URL says (`split.py`: first byte of
SHA-256 odd -> holdout7.jsonl, the blind holdout of round 7 (`split.CURRENT_HOLDOUT`),
even -> tune.jsonl); the spent holdouts of rounds 1 to 6 never receive items.
Only ids and the target file are printed, never the text of an item
already stored, so the check is safe to run against the holdouts.
"""
import json
import re
import sys
import unicodedata

import split


def fold(title: str) -> str:
    t = unicodedata.normalize("NFKD", title.casefold())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", t).strip()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dry = "--dry-run" in sys.argv
    if len(args) != 1:
        sys.exit(__doc__)
    stored, errors = split.load()
    if errors:
        sys.exit("\n".join(errors))
    urls = {it["url"] for *_, it in stored}
    titles = {fold(it["title"]) for *_, it in stored}
    ids = {it["id"] for *_, it in stored}
    hold = split.CURRENT_HOLDOUT
    added, refused = {"tune": [], hold: []}, 0
    for n, line in enumerate(open(args[0], encoding="utf-8"), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        item.pop("id", None)
        if item["url"] in urls or fold(item["title"]) in titles:
            print(f"line {n}: refused, URL or title already collected", file=sys.stderr)
            refused += 1
            continue
        k = 1
        while f"{item['source']}-{k:03d}" in ids:
            k += 1
        item = {"id": f"{item['source']}-{k:03d}", **item}
        ids.add(item["id"])
        urls.add(item["url"])
        titles.add(fold(item["title"]))
        target = hold if split.split_of(item["url"]) == "holdout" else "tune"
        added[target].append(item)
        print(f"line {n}: {item['id']} -> {target}.jsonl")
    errs = split.check([(f, f + ".jsonl", 0, it) for f, its in added.items() for it in its])
    if errs:
        sys.exit("\n".join(errs))
    if not dry:
        for f, its in added.items():
            with open(split.FILES[f], "a", encoding="utf-8") as out:
                for it in its:
                    out.write(json.dumps(it, ensure_ascii=False) + "\n")
    print(f"added: tune {len(added['tune'])}, {hold} {len(added[hold])}; refused {refused}"
          + (" (dry run: nothing written)" if dry else ""))


if __name__ == "__main__":
    main()
