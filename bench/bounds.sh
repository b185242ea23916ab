#!/usr/bin/env bash
# What one hostile item costs (issue 10, points 3 and 4): the time of `tocsin poll`
# (fetch from a file, parse, classify, store, publish every document) and of a later
# `tocsin render` (publish only) for a feed of one hostile item and one ordinary one:
#
#   nested-20k, nested-40k, nested-100k  an RSS description of N nested escaped <div>
#   deepcontent-100k                     the same in content:encoded (limit 512 KiB)
#   content-512k                         512 KiB of ordinary paragraphs as content
#   codes-150k                           an item quoting 150,000 case codes
#   title-8mib                           an 8 MiB title
#   listing-attrs                        an HTML listing with a tag of 800,000 attributes
#
# and the time and exit code of `tocsin check` on two rule sets that used to panic
# (two `\w{200}` regexes; a million multi-script keywords).
#
#   bench/bounds.sh                 (builds target/release/tocsin)
#   TOCSIN=/path/to/tocsin bench/bounds.sh      (another build, e.g. an older one)
#   CASES="nested-40k title-8mib" RULES=0 bench/bounds.sh     (some cases only)
#   CASES= bench/bounds.sh                    (the rule sets only)
#
# Each command is run once, under LIMIT seconds (default 600): a slower one is
# reported as "> LIMIT s". Prints per case the seconds and exit code of each command
# (and the line of a panic), the size of urgent.atom, its longest <title> and how many
# case codes it shows.
set -uo pipefail
cd "$(dirname "$0")/.."
LIMIT=${LIMIT:-600}
if [ -z "${TOCSIN:-}" ]; then
  cargo build --release --quiet || exit 2
  TOCSIN=$PWD/target/release/tocsin
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# feed NAME: writes $WORK/NAME.rss with the hostile item and an ordinary one.
feed() {
  python3 - "$1" "$WORK/$1.rss" <<'EOF'
import sys
name, path = sys.argv[1], sys.argv[2]
kind, _, size = name.partition("-")
title, description = "Urgent appeal: " + name, "An urgent appeal."
if kind == "nested":
    n = int(size.rstrip("k")) * 1000
    description = "&lt;div&gt;" * n + "deep text" + "&lt;/div&gt;" * n
elif kind == "codes":
    description = "".join(f"Case MDA {i:06} " for i in range(150_000))
elif kind == "title":
    title = "urgent appeal word " * (8 * 1024 * 1024 // 19)
content = ""
if kind == "deepcontent":
    n = int(size.rstrip("k")) * 1000
    content = "&lt;div&gt;" * n + "deep text" + "&lt;/div&gt;" * n
elif kind == "content":
    para = ("&lt;p&gt;The Observatory has been informed by &lt;a href=\"/s\"&gt;reliable "
            "sources&lt;/a&gt; about the &lt;b&gt;arbitrary detention&lt;/b&gt; of a human "
            "rights defender, held &lt;i&gt;incommunicado&lt;/i&gt;.&lt;/p&gt;\n")
    content = para * (int(size.rstrip("k")) * 1024 // 200)
item = lambda guid, t, d, c="": (
    f"<item><guid>{guid}</guid><link>https://hostile.example/{guid}</link>"
    f"<title>{t}</title><description>{d}</description>"
    + (f"<content:encoded>{c}</content:encoded>" if c else "")
    + "<pubDate>Tue, 03 Feb 2026 10:00:00 +0000</pubDate></item>\n"
)
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            "<title>Hostile</title><link>https://hostile.example/</link>\n")
    f.write(item(name, title, description, content))
    f.write(item("ordinary", "Urgent appeal: release the defender", "An ordinary appeal."))
    f.write("</channel></rss>\n")
EOF
}

# config DIR FEED [RULES]: a config polling FEED into DIR.
config() {
  mkdir -p "$1"
  cat > "$1/tocsin.toml" <<EOF
[daemon]
database = "$1/tocsin.db"
user_agent = "tocsin-bench (+http://127.0.0.1/)"
[output]
dir = "$1/public"
[fetch]
max_body = "64 MiB"
[[sources]]
id = "hostile"
url = "file://$2"
language = "en"
[[rules]]
name = "urgent-appeal"
keywords = ["urgent appeal"]
[[rules]]
name = "case-code"
case_code = true
EOF
  [ -n "${3:-}" ] && cat "$3" >> "$1/tocsin.toml"
}

# run LABEL CMD...: prints the seconds and exit code of CMD under LIMIT.
run() {
  local label=$1; shift
  local start end code
  start=$(date +%s.%N)
  timeout "$LIMIT" "$@" >"$WORK/out" 2>&1
  code=$?
  end=$(date +%s.%N)
  if [ "$code" = 124 ]; then
    printf '  %-8s > %s s (stopped)\n' "$label" "$LIMIT"
  else
    printf '  %-8s %8.2f s  exit %s\n' "$label" "$(awk "BEGIN { print $end - $start }")" "$code"
  fi
  grep -m1 -i "panicked" "$WORK/out" | sed 's/^/           /'
  return 0
}

echo "tocsin: $TOCSIN"
ALL="nested-20k nested-40k nested-100k deepcontent-100k content-512k codes-150k title-8mib listing-attrs"
for case in ${CASES-$ALL}; do
  [ "$case" = listing-attrs ] && continue
  feed "$case"
  dir=$WORK/$case
  config "$dir" "$WORK/$case.rss"
  echo "$case (feed $(du -h "$WORK/$case.rss" | cut -f1))"
  run poll "$TOCSIN" --config "$dir/tocsin.toml" poll
  run render "$TOCSIN" --config "$dir/tocsin.toml" render
  if [ -f "$dir/public/urgent.atom" ]; then
    python3 - "$dir/public/urgent.atom" <<'EOF'
import re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
titles = re.findall(r"<title[^>]*>(.*?)</title>", doc, re.S)
size = len(doc.encode()) / 1024
longest = max(len(t.encode()) for t in titles)
codes = len(set(re.findall(r'<category term="(Case MDA [0-9]{6})"', doc)))
print(f"  urgent.atom {size:.0f} KiB, longest title {longest} bytes, {codes} case codes")
EOF
  fi
done

if [[ " ${CASES-$ALL} " == *" listing-attrs "* ]]; then
  echo "listing-attrs: a 7 MiB listing page, one tag of 800,000 attributes before its entries"
  python3 - "$WORK/list.html" <<'EOF'
import sys
attrs = "".join(f" a{i}=1" for i in range(800_000))
with open(sys.argv[1], "w") as f:
    f.write(f"<html><body><div{attrs}>x</div>")
    f.write('<div class="card"><a href="https://hostile.example/1">Urgent appeal: one</a></div>')
    f.write('<div class="card"><a href="https://hostile.example/2">Urgent appeal: two</a></div>')
    f.write("</body></html>")
EOF
  mkdir -p "$WORK/listing"
  cat > "$WORK/listing/tocsin.toml" <<EOF
[daemon]
database = "$WORK/listing/tocsin.db"
user_agent = "tocsin-bench (+http://127.0.0.1/)"
[output]
dir = "$WORK/listing/public"
[fetch]
max_body = "64 MiB"
[[sources]]
id = "listing"
kind = "html"
url = "file://$WORK/list.html"
[sources.html]
item = ".card"
title = "a"
link = "a@href"
[[rules]]
name = "urgent-appeal"
keywords = ["urgent appeal"]
EOF
  run poll "$TOCSIN" --config "$WORK/listing/tocsin.toml" poll
  grep -m1 "listing" "$WORK/out" | sed 's/^/           /'
fi

[ "${RULES:-1}" = 1 ] || exit 0
echo "rules: two \\w{200} regexes"
printf '[[rules]]\nname = "words"\nregex = ["\\\\w{200}", "\\\\w{200}"]\n' > "$WORK/regex.toml"
config "$WORK/regex" /dev/null "$WORK/regex.toml"
run check "$TOCSIN" --config "$WORK/regex/tocsin.toml" check
sed -n 1p "$WORK/out" | cut -c1-160 | sed 's/^/           /'
run poll "$TOCSIN" --config "$WORK/regex/tocsin.toml" poll

echo "rules: 1,000,000 multi-script keywords"
python3 - "$WORK/million.toml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('[[rules]]\nname = "million"\nkeywords = [\n')
    for i in range(1_000_000):
        f.write(f'"задержан{i} détention{i} 拘留{i}",\n')
    f.write("]\n")
EOF
config "$WORK/million" /dev/null "$WORK/million.toml"
run check "$TOCSIN" --config "$WORK/million/tocsin.toml" check
sed -n 1p "$WORK/out" | cut -c1-200 | sed 's/^/           /'
run poll "$TOCSIN" --config "$WORK/million/tocsin.toml" poll

echo "rules: 80,000 multi-script keywords in the title (within the budget, too large for a DFA)"
python3 - "$WORK/many.toml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('[[rules]]\nname = "many"\nfields = ["title"]\nkeywords = [\n')
    for i in range(80_000):
        f.write(f'"задержан{i} détention{i} 拘留{i}",\n')
    f.write("]\n")
EOF
[ -f "$WORK/title-8mib.rss" ] || feed title-8mib
config "$WORK/many" "$WORK/title-8mib.rss" "$WORK/many.toml"
run poll /usr/bin/time -f "%M KiB peak" "$TOCSIN" --config "$WORK/many/tocsin.toml" poll
grep "KiB peak" "$WORK/out" | sed 's/^/           /'
