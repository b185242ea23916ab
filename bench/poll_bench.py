#!/usr/bin/env python3
"""Polling benchmark: N feeds, each on its own loopback address, two passes.

Generates N feeds (default 1,000; 50 items each, about 45 KB, half RSS 2.0 and half
Atom), serves them with nginx (Debian package) listening on 127.0.X.Y:PORT, one address
per feed, so tocsin's per-host politeness applies as it would across N publishers, then
runs `tocsin poll` twice against a fresh database, `--runs` times:

  pass 1: every feed is new (fetch, decode, parse, classify, store N x 50 items);
  pass 2: every request is conditional and nginx answers 304.

For each pass it prints wall time (median and spread over the runs), items stored per
second and the peak RSS of the tocsin process, then the baselines measured in the same
run, with the ratios the targets (issue 15) are stated in:

  newsboat   the same URLs with `reload-threads` equal to tocsin's concurrency;
  curl       `curl --parallel` fetching every body, and the same N requests made
             conditional (`If-None-Match` with nginx's ETag: all 304).

Options (all figures in README "Benchmarks" come from this script):
  --rules bench|shipped|FILE  the bench's two rules (default), config/tocsin.toml's
                         [classify] and [[rules]] (the shipped rule set), or those of
                         another config file
  --no-language          feeds declare no language (no <language>, no xml:lang): every
                         item's language is detected from its text
  --feeds N              feeds (addresses) to serve and poll (e.g. 10000)
  --baseline-feeds M     also run pass 1 over the first M feeds, in the same run, and
                         print the scaling ratio (N-feed time / M-feed time)
  --latency LO-HI        serve with a local asyncio server that delays each response by
                         LO..HI ms (per feed, fixed seed) instead of nginx; prints the
                         bound (total latency / concurrency) and checks per-host
                         politeness from the server side (never two requests at once to
                         one address)
  --stored N             after the runs, poll more rounds of new items (each feed's
                         next 50) until N items are stored, then time the publish after
                         one new urgent item (`poll --source feed-0`, the `published`
                         log line) and `tocsin status`
  --idle SECONDS         then start `tocsin run` over the polled database (all N
                         sources configured, schedule daily so no tick falls in the
                         window) and measure its RSS and CPU over SECONDS
  --dump DIR             keep `items --json` and the output documents of run 1 in DIR
                         (compare two builds with bench/compare_outputs.py)
  --cpus LIST            run tocsin, newsboat and curl on these CPUs only (`taskset -c
                         LIST`; the server is not pinned): how each scales with cores
  --runs N, --no-newsboat, --newsboat-passes 1|2, --concurrency N, --port P, --keep DIR, --tocsin PATH,
  --perf PASS            record that pass of run 1 with `perf record -g`

Usage: bench/poll_bench.py [options]
Run as root (nginx `user root;` to read the temporary directory). Sends traffic only
to 127.0.0.0/8 and stops by itself.
"""

import argparse
import asyncio
import datetime
import email.utils
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ITEMS_PER_FEED = 50

WORDS = (
    "urgent appeal detention torture defender lawyer court release prison report "
    "human rights observatory arbitrary harassment journalist activist family visit "
    "moldova transnistria chisinau tiraspol geneva omct promo-lex statement call "
    "authorities guarantee physical psychological integrity immediately unconditionally"
).split()


def addr(i):
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def words(rng, n):
    return " ".join(rng.choices(WORDS, k=n))


def title(rng, i, k):
    """Eight words of the vocabulary and four of the item's own: no two titles are
    near-identical (src/group.rs), so no items group by chance and which one leads a
    group never depends on the order the polls finished in."""
    return f"{words(rng, 8).capitalize()} #{i}-{k} ref{i}x{k} doc{i}y{k} id{i}z{k} no{i}w{k}"


def item_time(i, k):
    """A time of its own for every item (feed i, item k): no two items tie in the
    newest-first order, so two runs publish the same documents whatever order the polls
    finished in (bench/compare_outputs.py)."""
    return datetime.datetime(2026, 1 + (i // 1440) % 9, 1 + k % 28, (i // 60) % 24, i % 60, (k // 28) % 60,
                             tzinfo=datetime.timezone.utc)


def rfc822(i, k):
    return email.utils.format_datetime(item_time(i, k))


def iso8601(i, k):
    return item_time(i, k).strftime("%Y-%m-%dT%H:%M:%SZ")


def rss_feed(i, rng, lang, first, extra):
    items = list(extra)
    for k in range(first, first + ITEMS_PER_FEED):
        items.append(
            f"<item><title>{title(rng, i, k)}</title>"
            f"<link>https://publisher{i}.example.org/news/{k}</link>"
            f"<guid isPermaLink=\"false\">pub{i}-item{k}</guid>"
            f"<pubDate>{rfc822(i, k)}</pubDate>"
            f"<category>News</category>"
            f"<description>&lt;p&gt;{words(rng, 68)}&lt;/p&gt;</description></item>\n"
        )
    language = "<language>en</language>" if lang else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Publisher {i}</title><link>https://publisher{i}.example.org/</link>"
        f"<description>Feed {i}</description>{language}\n"
        + "".join(items)
        + "</channel></rss>\n"
    )


def atom_feed(i, rng, lang, first, extra):
    entries = []
    for k in range(first, first + ITEMS_PER_FEED):
        entries.append(
            f"<entry><title>{title(rng, i, k)}</title>"
            f'<link href="https://publisher{i}.example.org/news/{k}"/>'
            f"<id>tag:publisher{i}.example.org,2026:{k}</id>"
            f"<updated>{iso8601(i, k)}</updated>"
            f'<category term="News"/>'
            f'<summary type="html">&lt;p&gt;{words(rng, 68)}&lt;/p&gt;</summary></entry>\n'
        )
    xml_lang = ' xml:lang="en"' if lang else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"{xml_lang}>'
        f"<title>Publisher {i}</title><id>tag:publisher{i}.example.org,2026:feed</id>"
        f"<updated>2026-09-28T10:00:00Z</updated>"
        f'<link href="https://publisher{i}.example.org/"/>\n' + "".join(entries) + "</feed>\n"
    )


def feed_path(docs, i):
    return os.path.join(docs, f"feed-{i}.{'rss' if i % 2 == 0 else 'atom'}")


def write_feed(docs, i, rng, lang, first=0, extra=()):
    body = (rss_feed if i % 2 == 0 else atom_feed)(i, rng, lang, first, extra)
    data = body.encode()
    with open(feed_path(docs, i), "wb") as f:
        f.write(data)
    return len(data)


def generate(work, n, lang, first=0):
    """Writes the N feeds (items `first`..`first`+50 of each); returns (docs, bytes)."""
    rng = random.Random(42 + first)
    docs = os.path.join(work, "www")
    os.makedirs(docs, exist_ok=True)
    total = sum(write_feed(docs, i, rng, lang, first) for i in range(n))
    return docs, total


def url(i, port):
    ext = "rss" if i % 2 == 0 else "atom"
    return f"http://{addr(i)}:{port}/feed-{i}.{ext}"


def nginx_etag(path):
    """The ETag nginx sends for a static file: "<mtime hex>-<size hex>"."""
    st = os.stat(path)
    return f'"{int(st.st_mtime):x}-{st.st_size:x}"'


# ---------------------------------------------------------------- servers


def start_nginx(work, docs, n, port):
    listens = "\n".join(f"    listen {addr(i)}:{port};" for i in range(n))
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(
            f"""user root;
worker_processes 2;
worker_rlimit_nofile {max(20000, 2 * n + 1000)};
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections {max(8192, 2 * n + 1000)}; }}
http {{
  access_log off;
  types {{ application/rss+xml rss; application/atom+xml atom; }}
  client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp;
  fastcgi_temp_path {work}/tmp; uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
  server {{
{listens}
    root {docs};
  }}
}}
"""
        )
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    subprocess.run(["nginx", "-c", conf, "-p", work], check=True)
    return ("nginx", work)


def start_latency_server(work, docs, n, port, latency):
    """The same files behind an asyncio server that delays every response."""
    stats = os.path.join(work, "latency-stats.json")
    p = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve-latency", latency,
         "--serve-docs", docs, "--feeds", str(n), "--port", str(port), "--serve-stats", stats]
    )
    ready = stats + ".ready"
    for _ in range(600):
        if os.path.exists(ready):
            break
        if p.poll() is not None:
            raise SystemExit("the latency server failed to start")
        time.sleep(0.1)
    return ("latency", p, stats)


def stop_server(server):
    if server[0] == "nginx":
        try:
            with open(os.path.join(server[1], "nginx.pid")) as f:
                os.kill(int(f.read().strip()), signal.SIGQUIT)
        except (OSError, ValueError):
            pass
    else:
        server[1].send_signal(signal.SIGTERM)
        server[1].wait(timeout=30)


def latency_stats(server, reset=False):
    """Asks the latency server for its counters (SIGUSR1 writes them)."""
    if server[0] != "latency":
        return None
    path = server[2]
    if os.path.exists(path):
        os.unlink(path)
    server[1].send_signal(signal.SIGUSR2 if reset else signal.SIGUSR1)
    for _ in range(100):
        if os.path.exists(path):
            time.sleep(0.05)
            with open(path) as f:
                return json.load(f)
        time.sleep(0.05)
    return None


def feed_delay(i, lo, hi):
    return random.Random(i * 7919 + 1).uniform(lo, hi) / 1000


def serve_latency(args):
    """Runs the delaying server (a child of the benchmark) until SIGTERM."""
    lo, hi = parse_latency(args.serve_latency)
    n, docs = args.feeds, args.serve_docs
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    files = {}
    for i in range(n):
        path = feed_path(docs, i)
        files[i] = path
    state = {"requests": 0, "not_modified": 0, "delay_total": 0.0, "max_per_host": 0,
             "min_spacing": None, "first": None, "last": None}
    active = {}
    last_start = {}

    async def handle(reader, writer, i):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                inm = None
                for line in lines[1:]:
                    if line.lower().startswith("if-none-match:"):
                        inm = line.split(":", 1)[1].strip()
                now = time.monotonic()
                state["first"] = state["first"] or now
                active[i] = active.get(i, 0) + 1
                state["max_per_host"] = max(state["max_per_host"], active[i])
                if i in last_start:
                    gap = now - last_start[i]
                    if state["min_spacing"] is None or gap < state["min_spacing"]:
                        state["min_spacing"] = gap
                last_start[i] = now
                delay = feed_delay(i, lo, hi)
                state["delay_total"] += delay
                state["requests"] += 1
                await asyncio.sleep(delay)
                etag = nginx_etag(files[i])
                if inm == etag:
                    state["not_modified"] += 1
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode())
                else:
                    with open(files[i], "rb") as f:
                        body = f.read()
                    ctype = "application/rss+xml" if i % 2 == 0 else "application/atom+xml"
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                        f"ETag: {etag}\r\n\r\n".encode() + body
                    )
                await writer.drain()
                active[i] -= 1
                state["last"] = time.monotonic()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def dump(reset=False):
        with open(args.serve_stats + ".tmp", "w") as f:
            json.dump(state, f)
        os.rename(args.serve_stats + ".tmp", args.serve_stats)
        if reset:
            state.update(requests=0, not_modified=0, delay_total=0.0, max_per_host=0,
                         min_spacing=None, first=None, last=None)
            last_start.clear()

    async def main():
        servers = []
        for i in range(n):
            servers.append(await asyncio.start_server(
                lambda r, w, i=i: handle(r, w, i), addr(i), args.port, backlog=64))
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGUSR1, dump)
        loop.add_signal_handler(signal.SIGUSR2, lambda: dump(reset=True))
        open(args.serve_stats + ".ready", "w").close()
        await stop.wait()
        for s in servers:
            s.close()

    asyncio.run(main())


def parse_latency(s):
    lo, _, hi = s.partition("-")
    return float(lo), float(hi or lo)


# ---------------------------------------------------------------- measuring


# `taskset -c LIST` when --cpus is given: every measured client (tocsin, newsboat, curl)
# runs on those CPUs; the server (nginx or the delaying server) is not pinned.
PIN = []


def measured(cmd, cwd=None, env=None):
    """Runs cmd under GNU time (a small C parent, so the peak RSS is the command's own,
    not the Python process it was forked from), on the --cpus CPUs if given; returns
    (wall seconds, peak RSS MiB, stdout, stderr)."""
    fd, rss_file = tempfile.mkstemp(prefix="tocsin-bench-rss-")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "-o", rss_file] + PIN + cmd, cwd=cwd, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    with open(rss_file) as f:
        lines = f.read().split()
    os.unlink(rss_file)
    if p.returncode != 0:
        sys.stderr.write(err)
        raise SystemExit(f"{cmd[0]} failed with {p.returncode}")
    measured.cpu = float(lines[-3]) + float(lines[-2])
    return wall, int(lines[-1]) / 1024, out, err


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise SystemExit(f"cannot write {v!r} as TOML")


def rule_lines(which):
    if which == "bench":
        return [
            "[[rules]]",
            'name = "urgent-appeal"',
            'keywords = ["urgent appeal", "urgent action", "apel urgent"]',
            "[[rules]]",
            'name = "detention"',
            'keywords = ["arbitrary detention", "incommunicado"]',
            'fields = ["title"]',
        ]
    with open(rules_file(which), "rb") as f:
        shipped = tomllib.load(f)
    lines = ["[classify]"] + [f"{k} = {toml_value(v)}" for k, v in shipped.get("classify", {}).items()]
    for rule in shipped.get("rules", []):
        lines.append("[[rules]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in rule.items()]
    return lines


def rules_file(which):
    """`shipped`: config/tocsin.toml; else the path of another config file (another
    revision's rules, to compare two builds on the rules both understand)."""
    return os.path.join(ROOT, "config", "tocsin.toml") if which == "shipped" else which


def shipped_rule_count(which):
    with open(rules_file(which), "rb") as f:
        return len(tomllib.load(f).get("rules", []))


def tocsin_config(work, name, n, args, schedule=None):
    lines = [
        "[daemon]",
        f'database = "{name}/tocsin.db"',
        f"concurrency = {args.concurrency}",
        'user_agent = "tocsin-bench (+http://127.0.0.1/)"',
    ]
    if schedule:
        lines.append(f'schedule = "{schedule}"')
    lines += [
        "[server]",
        'listen = "127.0.0.1:0"',
        "[output]",
        f'dir = "{name}/public"',
        # The items carry fixed 2026 dates (the same documents every run): retention
        # must not prune them when the daemon starts (--idle).
        "[retention]",
        'max_age = "never"',
    ]
    for i in range(n):
        lines += ["[[sources]]", f'id = "feed-{i}"', f'url = "{url(i, args.port)}"']
    lines += rule_lines(args.rules)
    path = os.path.join(work, f"{name}.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def count_new(out):
    total = 0
    errors = 0
    for line in out.splitlines():
        parts = line.split()
        if "new" in parts:
            total += int(parts[parts.index("new") + 1])
        elif "error:" in parts:
            errors += 1
    return total, errors


def load():
    return os.getloadavg()[0]


def tocsin_pass(args, config, perf=None, source=None, env=None):
    cmd = [args.tocsin, "--config", config, "poll"]
    if source:
        cmd += ["--source", source]
    if perf:
        cmd = ["perf", "record", "-g", "-o", perf, "--"] + cmd
    wall, rss, out, err = measured(cmd, env=env)
    cpu = measured.cpu
    new, errors = count_new(out)
    if errors:
        print(f"tocsin: {errors} sources failed, e.g.:")
        print("\n".join([l for l in out.splitlines() if "error:" in l][:3]))
    return {"wall": wall, "rss": rss, "cpu": cpu, "new": new, "errors": errors,
            "not_modified": out.count("not modified"), "err": err, "load": load()}


def bench_tocsin(args, work, n, server, runs, name="var"):
    config = tocsin_config(work, name, n, args)
    results = {1: [], 2: []}
    for r in range(runs):
        shutil.rmtree(os.path.join(work, name), ignore_errors=True)
        os.makedirs(os.path.join(work, name))
        for p in (1, 2):
            latency_stats(server, reset=True)
            perf = os.path.join(work, f"perf-pass{p}.data") if args.perf == p and r == 0 else None
            res = tocsin_pass(args, config, perf)
            res["server"] = latency_stats(server)
            results[p].append(res)
        if r == 0 and args.dump and name == "var":
            dump_outputs(args, config, os.path.join(work, name), args.dump)
    return config, results


def dump_outputs(args, config, var, dest):
    """items --json (sorted) and the output documents, for bench/compare_outputs.py."""
    os.makedirs(dest, exist_ok=True)
    out = subprocess.run([args.tocsin, "--config", config, "items", "--json", "--limit", "100000000"],
                         check=True, capture_output=True, text=True).stdout
    with open(os.path.join(dest, "items.jsonl"), "w") as f:
        f.write("\n".join(sorted(out.splitlines())) + "\n")
    shutil.rmtree(os.path.join(dest, "public"), ignore_errors=True)
    shutil.copytree(os.path.join(var, "public"), os.path.join(dest, "public"))


def bench_newsboat(args, work, n):
    if args.no_newsboat or args.latency:
        return None
    if shutil.which("newsboat") is None:
        print("newsboat: not installed, skipped (apt-get install newsboat)")
        return None
    nb = os.path.join(work, "newsboat")
    shutil.rmtree(nb, ignore_errors=True)
    os.makedirs(nb, exist_ok=True)
    with open(os.path.join(nb, "urls"), "w") as f:
        f.write("\n".join(url(i, args.port) for i in range(n)) + "\n")
    with open(os.path.join(nb, "config"), "w") as f:
        f.write(f"reload-threads {args.concurrency}\n")
    env = dict(os.environ, HOME=nb)
    results = {}
    prev = 0
    for p in range(1, args.newsboat_passes + 1):
        cmd = ["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload"]
        wall, rss, _, _ = measured(cmd, cwd=nb, env=env)
        cpu = measured.cpu
        db = sqlite3.connect(os.path.join(nb, "cache.db"))
        items = db.execute("SELECT count(*) FROM rss_item").fetchone()[0]
        db.close()
        results[p] = [{"wall": wall, "rss": rss, "cpu": cpu, "new": items - prev, "load": load()}]
        prev = items
    return results


def bench_curl(args, work, docs, n, runs):
    """curl --parallel over the same URLs: every body, then every request conditional."""
    if shutil.which("curl") is None or args.latency:
        return None
    results = {}
    for kind in ("bodies", "conditional"):
        path = os.path.join(work, f"curl-{kind}.cfg")
        with open(path, "w") as f:
            for i in range(n):
                f.write(f'url = "{url(i, args.port)}"\noutput = "/dev/null"\n'
                        'write-out = "%{http_code}\\n"\n')
                if kind == "conditional":
                    f.write(f"header = {json.dumps('If-None-Match: ' + nginx_etag(feed_path(docs, i)))}\n")
                if i + 1 < n:
                    f.write("next\n")
        cmd = ["curl", "--silent", "--parallel", "--parallel-max", str(args.concurrency), "--config", path]
        results[kind] = []
        for _ in range(runs):
            wall, rss, out, _ = measured(cmd)
            cpu = measured.cpu
            codes = out.split()
            want = "304" if kind == "conditional" else "200"
            results[kind].append({"wall": wall, "rss": rss, "cpu": cpu, "ok": codes.count(want), "load": load()})
    return results


def published_ms(err):
    """The `ms` of the `published` log line (RUST_LOG=tocsin::daemon=info)."""
    for line in err.splitlines():
        if "published" in line:
            m = re.search(r"\bms=(\d+)", line)
            if m:
                return int(m.group(1))
    return None


URGENT = (
    "<item><title>Urgent appeal: arbitrary detention of defender #{n}</title>"
    "<link>https://publisher0.example.org/urgent/{n}</link>"
    "<guid isPermaLink=\"false\">pub0-urgent{n}</guid>"
    "<pubDate>Wed, 30 Sep 2026 10:00:00 +0000</pubDate>"
    "<description>&lt;p&gt;Urgent appeal: the Observatory requests your urgent intervention "
    "on the arbitrary detention of defender {n}.&lt;/p&gt;</description></item>\n"
)


def bench_stored(args, work, docs, n, config, target):
    """Polls rounds of new items until `target` are stored; times publish and status."""
    db = os.path.join(work, "var", "tocsin.db")
    count = lambda: sqlite3.connect(db).execute("SELECT count(*) FROM items").fetchone()[0]
    stored = count()
    rounds = []
    r = 1
    while stored < target:
        generate(work, n, not args.no_language, first=r * ITEMS_PER_FEED)
        res = tocsin_pass(args, config)
        stored = count()
        rounds.append((r, res["wall"], res["rss"], res["new"], stored))
        print(f"  round {r}: {res['new']} new in {res['wall']:.1f} s, peak RSS {res['rss']:.1f} MiB, {stored} stored")
        r += 1
    env = dict(os.environ, RUST_LOG="warn,tocsin::daemon=info")
    publishes = []
    rng = random.Random(7)
    for k in range(args.runs):
        write_feed(docs, 0, rng, not args.no_language, first=(r + k) * ITEMS_PER_FEED,
                   extra=[URGENT.format(n=k)])
        res = tocsin_pass(args, config, source="feed-0", env=env)
        publishes.append({"ms": published_ms(res["err"]), "wall": res["wall"], "new": res["new"], "load": res["load"]})
    statuses = []
    for _ in range(args.runs):
        wall, rss, out, _ = measured([args.tocsin, "--config", config, "status"])
        statuses.append({"wall": wall, "rss": rss, "load": load()})
    return stored, rounds, publishes, statuses


def bench_idle(args, work, n, seconds):
    """`tocsin run` over the polled database: RSS and CPU while no poll is due."""
    config = tocsin_config(work, "var", n, args, schedule="0 0 3 * * *")
    p = subprocess.Popen([args.tocsin, "--config", config, "run"], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(work, "idle.log"), "w"))
    try:
        time.sleep(10)  # start: config, database, first publish
        def cpu():
            with open(f"/proc/{p.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        def rss():
            with open(f"/proc/{p.pid}/status") as f:
                st = dict(l.split(":", 1) for l in f.read().splitlines())
            return int(st["VmRSS"].split()[0]) / 1024, int(st["VmHWM"].split()[0]) / 1024
        c0, t0 = cpu(), time.monotonic()
        samples = []
        while time.monotonic() - t0 < seconds:
            time.sleep(1)
            samples.append(rss()[0])
        c1, t1 = cpu(), time.monotonic()
        return {"cpu_pct": 100 * (c1 - c0) / (t1 - t0), "rss": statistics.median(samples),
                "rss_max": max(samples), "hwm": rss()[1], "seconds": t1 - t0}
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)


# ---------------------------------------------------------------- report


def med(rs, key="wall"):
    v = [r[key] for r in rs]
    return statistics.median(v), min(v), max(v)


def fmt_spread(rs, key="wall", digits=3):
    m, lo, hi = med(rs, key)
    if len(rs) == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def verdict(ok):
    return "met" if ok else "NOT met"


def report(args, n, t, nb, curl, base, lat):
    print()
    print(f"{'':10} {'pass':>4} {'wall s, median (min-max)':>26} {'CPU s':>7} {'items':>7} {'items/s':>9} {'peak RSS MiB':>22}  notes")
    for p in (1, 2):
        rs = t[p]
        m = med(rs)[0]
        notes = f"{rs[0]['not_modified']} not modified" if p == 2 else ""
        errors = sum(r["errors"] for r in rs)
        if errors:
            notes += f" {errors} errors"
        print(f"{'tocsin':10} {p:>4} {fmt_spread(rs):>26} {med(rs, 'cpu')[0]:>7.2f} {rs[0]['new']:>7} {rs[0]['new'] / m:>9.0f} "
              f"{fmt_spread(rs, 'rss', 1):>22}  {notes}")
    if nb:
        for p in sorted(nb):
            rs = nb[p]
            print(f"{'newsboat':10} {p:>4} {fmt_spread(rs):>26} {med(rs, 'cpu')[0]:>7.2f} {rs[0]['new']:>7} {rs[0]['new'] / med(rs)[0]:>9.0f} "
                  f"{fmt_spread(rs, 'rss', 1):>22}")
    if curl:
        for kind, rs in curl.items():
            print(f"{'curl':10} {'':>4} {fmt_spread(rs):>26} {med(rs, 'cpu')[0]:>7.2f} {'':>7} {'':>9} {fmt_spread(rs, 'rss', 1):>22}  "
                  f"{kind}: {rs[0]['ok']} x {'304' if kind == 'conditional' else '200'}")
    print()
    loads = [r["load"] for p in (1, 2) for r in t[p]]
    print(f"load average (1 min) during the tocsin runs: {min(loads):.2f}-{max(loads):.2f}")
    t1, t2 = med(t[1])[0], med(t[2])[0]
    rss1, rss2 = max(r["rss"] for r in t[1]), max(r["rss"] for r in t[2])
    if nb:
        ratio = med(nb[1])[0] / t1
        want = 25 if args.rules == "bench" else 18
        print(f"pass 1: {ratio:.1f}x faster than newsboat (target >= {want}x with the "
              f"{args.rules} rules{', no declared language' if args.no_language else ''}: {verdict(ratio >= want)}); "
              f"peak RSS {rss1:.1f} MiB (target <= 50: {verdict(rss1 <= 50)}); CPU time (user + system) "
              f"{med(nb[1], 'cpu')[0] / med(t[1], 'cpu')[0]:.1f}x less")
    if curl:
        ratio = t2 / med(curl["conditional"])[0]
        print(f"pass 2: {ratio:.2f}x curl's time for the same {n} conditional requests "
              f"(target <= 2x: {verdict(ratio <= 2)}); peak RSS {rss2:.1f} MiB (target <= 30: {verdict(rss2 <= 30)})")
    if base:
        m, rs = base
        ratio = t1 / med(rs[1])[0]
        print(f"scale: pass 1 over {n} feeds took {ratio:.2f}x the {m}-feed pass 1 "
              f"({fmt_spread(rs[1])} s; target <= {1.1 * n / m:.1f}x: {verdict(ratio <= 1.1 * n / m)}); "
              f"peak RSS {rss1:.1f} MiB (target <= 100: {verdict(rss1 <= 100)}); CPU time "
              f"{med(t[1], 'cpu')[0] / med(rs[1], 'cpu')[0]:.2f}x ({med(t[1], 'cpu')[0]:.2f} s against "
              f"{med(rs[1], 'cpu')[0]:.2f} s)")
    if lat:
        for p in (1, 2):
            srv = [r["server"] for r in t[p] if r.get("server")]
            if not srv:
                continue
            bound = statistics.median(s["delay_total"] for s in srv) / args.concurrency
            ratio = med(t[p])[0] / bound
            spacing = [s["min_spacing"] for s in srv if s["min_spacing"] is not None]
            print(f"latency {args.latency} ms, pass {p}: {srv[0]['requests']} requests, total latency / concurrency "
                  f"= {bound:.3f} s; wall {med(t[p])[0]:.3f} s = {ratio:.2f}x the bound "
                  f"(target <= 1.2x: {verdict(ratio <= 1.2)}); at most {max(s['max_per_host'] for s in srv)} "
                  f"request at once per address{'' if not spacing else f', closest two to one address {min(spacing):.3f} s apart'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--baseline-feeds", type=int)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--rules", default="bench", help="bench, shipped, or a config file whose rules to use")
    ap.add_argument("--no-language", action="store_true")
    ap.add_argument("--latency", help="LO-HI milliseconds, e.g. 50-300")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-newsboat", action="store_true")
    ap.add_argument("--newsboat-passes", type=int, choices=[1, 2], default=2,
                    help="1: newsboat's first pass only (its second is no target and slow)")
    ap.add_argument("--stored", type=int)
    ap.add_argument("--idle", type=int)
    ap.add_argument("--dump")
    ap.add_argument("--tocsin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "tocsin"))
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("--cpus", help="run tocsin, newsboat and curl on these CPUs (taskset -c LIST, e.g. 0)")
    ap.add_argument("--perf", type=int, choices=[1, 2], help="record this pass (of run 1) with perf")
    ap.add_argument("--serve-latency", help=argparse.SUPPRESS)
    ap.add_argument("--serve-docs", help=argparse.SUPPRESS)
    ap.add_argument("--serve-stats", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_latency:
        return serve_latency(args)
    if args.cpus:
        if shutil.which("taskset") is None:
            raise SystemExit("--cpus needs taskset (util-linux)")
        PIN[:] = ["taskset", "-c", args.cpus]
    if not args.latency and shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        raise SystemExit("nginx is needed: apt-get install nginx-light")
    os.environ["PATH"] += ":/usr/sbin"
    args.tocsin = os.path.abspath(args.tocsin)
    if not os.path.exists(args.tocsin):
        raise SystemExit(f"{args.tocsin} not found: cargo build --release first")
    if args.dump:
        args.dump = os.path.abspath(args.dump)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = args.keep or tempfile.mkdtemp(prefix="tocsin-bench-")
    os.makedirs(work, exist_ok=True)
    for d in ("var", "base", "newsboat"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    n = args.feeds
    docs, total = generate(work, n, not args.no_language)
    rules = ("the bench's 2 rules" if args.rules == "bench"
             else f"the {shipped_rule_count(args.rules)} rules of {'config/tocsin.toml' if args.rules == 'shipped' else args.rules}")
    print(f"{n} feeds, {n * ITEMS_PER_FEED} items, {total / 1e6:.1f} MB ({total / n / 1024:.1f} KiB per feed), "
          f"{rules}, {'no declared language' if args.no_language else 'language declared by each feed'}, "
          f"concurrency {args.concurrency}, {os.cpu_count()} CPUs"
          f"{' (clients on CPU ' + args.cpus + ')' if args.cpus else ''}, "
          f"{'latency ' + args.latency + ' ms (asyncio server)' if args.latency else 'nginx'}, "
          f"{args.runs} runs, load average {load():.2f}")
    if args.latency:
        server = start_latency_server(work, docs, n, args.port, args.latency)
    else:
        server = start_nginx(work, docs, n, args.port)
    stored = idle = base = None
    try:
        time.sleep(0.5)
        curl = bench_curl(args, work, docs, n, args.runs)
        config, t = bench_tocsin(args, work, n, server, args.runs)
        if args.baseline_feeds:
            _, b = bench_tocsin(args, work, args.baseline_feeds, server, args.runs, name="base")
            base = (args.baseline_feeds, b)
        nb = bench_newsboat(args, work, n)
        if args.stored:
            stored = bench_stored(args, work, docs, n, config, args.stored)
        if args.idle:
            idle = bench_idle(args, work, n, args.idle)
    finally:
        stop_server(server)
    report(args, n, t, nb, curl, base, args.latency)
    if stored:
        count, rounds, publishes, statuses = stored
        ms = [p["ms"] for p in publishes if p["ms"] is not None]
        print(f"stored {count} items: publish after one new urgent item "
              f"{statistics.median(ms) if ms else float('nan'):.0f} ms median ({min(ms, default=0)}-{max(ms, default=0)}; "
              f"target < 50: {verdict(bool(ms) and statistics.median(ms) < 50)}); "
              f"`tocsin status` {fmt_spread(statuses)} s (target < 1: {verdict(med(statuses)[0] < 1)}), "
              f"peak RSS {max(s['rss'] for s in statuses):.1f} MiB")
    if idle:
        print(f"idle daemon, {n} sources: RSS {idle['rss']:.1f} MiB (max {idle['rss_max']:.1f}, high-water "
              f"{idle['hwm']:.1f}; target < 40: {verdict(idle['rss_max'] < 40)}), CPU {idle['cpu_pct']:.2f}% of a core "
              f"over {idle['seconds']:.0f} s (target < 1%: {verdict(idle['cpu_pct'] < 1)})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
