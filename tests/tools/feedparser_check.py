"""Parses each file given on the command line with Universal Feed Parser and prints one
JSON object per file: bozo flag, exception, version and entry titles/links/ids.
Run with Debian's /usr/bin/python3 (package python3-feedparser)."""
import json
import sys

import feedparser

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    # feedparser recognises JSON Feed by its media type, as a server would send it.
    headers = {"content-type": "application/feed+json"} if path.endswith(".json") else {}
    d = feedparser.parse(data, response_headers=headers)
    print(json.dumps({
        "path": path,
        "bozo": int(bool(d.bozo)),
        "exception": repr(d.get("bozo_exception")) if d.bozo else None,
        "version": d.get("version"),
        "titles": [e.get("title") for e in d.entries],
        "links": [e.get("link") for e in d.entries],
        "ids": [e.get("id") for e in d.entries],
        "langs": [(e.get("title_detail") or {}).get("language") for e in d.entries],
    }))
