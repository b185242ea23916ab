#!/usr/bin/env python3
"""Polling benchmark: 1,000 feeds, each on its own loopback address, two passes.

Generates 1,000 feeds (50 items each, about 45 KB, half RSS 2.0 and half Atom), serves
them with nginx (Debian package) listening on 127.0.X.Y:PORT, one address per feed, so
tocsin's per-host politeness applies as it would across 1,000 publishers, then runs
`tocsin poll` twice against a fresh database:

  pass 1: every feed is new (fetch, decode, parse, classify, store 50,000 items);
  pass 2: every request is conditional and nginx answers 304.

For each pass it prints wall time, items stored per second and the peak RSS of the
tocsin process. When newsboat is installed it runs it over the same URLs with
`reload-threads` equal to tocsin's concurrency and prints its figures beside.

Usage: bench/poll_bench.py [--feeds N] [--concurrency N] [--port P] [--keep DIR]
       [--tocsin PATH] [--perf]
Run as root (nginx `user root;` to read the temporary directory). Sends traffic only
to 127.0.0.0/8 and stops by itself.
"""

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORDS = (
    "urgent appeal detention torture defender lawyer court release prison report "
    "human rights observatory arbitrary harassment journalist activist family visit "
    "moldova transnistria chisinau tiraspol geneva omct promo-lex statement call "
    "authorities guarantee physical psychological integrity immediately unconditionally"
).split()


def addr(i):
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def rss_feed(i, rng):
    items = []
    for k in range(50):
        items.append(
            f"<item><title>{words(rng, 8).capitalize()} #{i}-{k}</title>"
            f"<link>https://publisher{i}.example.org/news/{k}</link>"
            f"<guid isPermaLink=\"false\">pub{i}-item{k}</guid>"
            f"<pubDate>Tue, {1 + k % 28:02d} Sep 2026 10:{k % 60:02d}:00 +0000</pubDate>"
            f"<category>News</category>"
            f"<description>&lt;p&gt;{words(rng, 68)}&lt;/p&gt;</description></item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Publisher {i}</title><link>https://publisher{i}.example.org/</link>"
        f"<description>Feed {i}</description><language>en</language>\n"
        + "".join(items)
        + "</channel></rss>\n"
    )


def atom_feed(i, rng):
    entries = []
    for k in range(50):
        entries.append(
            f"<entry><title>{words(rng, 8).capitalize()} #{i}-{k}</title>"
            f'<link href="https://publisher{i}.example.org/news/{k}"/>'
            f"<id>tag:publisher{i}.example.org,2026:{k}</id>"
            f"<updated>2026-09-{1 + k % 28:02d}T10:{k % 60:02d}:00Z</updated>"
            f'<category term="News"/>'
            f'<summary type="html">&lt;p&gt;{words(rng, 68)}&lt;/p&gt;</summary></entry>\n'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<title>Publisher {i}</title><id>tag:publisher{i}.example.org,2026:feed</id>"
        f"<updated>2026-09-28T10:00:00Z</updated>"
        f'<link href="https://publisher{i}.example.org/"/>\n' + "".join(entries) + "</feed>\n"
    )


def generate(work, n):
    rng = random.Random(42)
    docs = os.path.join(work, "www")
    os.makedirs(docs, exist_ok=True)
    total = 0
    for i in range(n):
        body = rss_feed(i, rng) if i % 2 == 0 else atom_feed(i, rng)
        ext = "rss" if i % 2 == 0 else "atom"
        path = os.path.join(docs, f"feed-{i}.{ext}")
        with open(path, "w") as f:
            f.write(body)
        total += len(body.encode())
    return docs, total


def url(i, port):
    ext = "rss" if i % 2 == 0 else "atom"
    return f"http://{addr(i)}:{port}/feed-{i}.{ext}"


def start_nginx(work, docs, n, port):
    listens = "\n".join(f"    listen {addr(i)}:{port};" for i in range(n))
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(
            f"""user root;
worker_processes 2;
worker_rlimit_nofile 20000;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 8192; }}
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
    return conf


def stop_nginx(work):
    try:
        with open(os.path.join(work, "nginx.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGQUIT)
    except (OSError, ValueError):
        pass


def run_measured(cmd, cwd=None, env=None):
    """Runs cmd; returns (seconds, peak RSS in MiB, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    # The child is reaped; RUSAGE_CHILDREN max is the max over children so far, so each
    # measured command runs in a fresh helper process (see measured()).
    if p.returncode != 0:
        sys.stderr.write(err)
        raise SystemExit(f"{cmd[0]} failed with {p.returncode}")
    return wall, out, err


def measured(cmd, cwd=None, env=None):
    """Runs cmd in a forked helper so that RUSAGE_CHILDREN covers this command only."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        import json
        import resource

        wall, out, err = run_measured(cmd, cwd, env)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with os.fdopen(w, "w") as f:
            json.dump({"wall": wall, "rss": rss, "out": out, "err": err}, f)
        os._exit(0)
    os.close(w)
    import json

    with os.fdopen(r) as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise SystemExit(f"measuring {cmd[0]} failed")
    d = json.loads(data)
    return d["wall"], d["rss"], d["out"], d["err"]


def tocsin_config(work, n, port, concurrency):
    lines = [
        "[daemon]",
        'database = "var/tocsin.db"',
        f"concurrency = {concurrency}",
        'user_agent = "tocsin-bench (+http://127.0.0.1/)"',
        "[server]",
        'listen = "127.0.0.1:0"',
        "[output]",
        'dir = "var/public"',
    ]
    for i in range(n):
        lines += ["[[sources]]", f'id = "feed-{i}"', f'url = "{url(i, port)}"']
    lines += [
        "[[rules]]",
        'name = "urgent-appeal"',
        'keywords = ["urgent appeal", "urgent action", "apel urgent"]',
        "[[rules]]",
        'name = "detention"',
        'keywords = ["arbitrary detention", "incommunicado"]',
        'fields = ["title"]',
    ]
    path = os.path.join(work, "tocsin.toml")
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


def bench_tocsin(args, work, n):
    config = tocsin_config(work, n, args.port, args.concurrency)
    results = []
    for p in (1, 2):
        cmd = [args.tocsin, "--config", config, "poll"]
        if args.perf and p == args.perf:
            cmd = ["perf", "record", "-g", "-o", os.path.join(work, f"perf-pass{p}.data"), "--"] + cmd
        wall, rss, out, err = measured(cmd)
        new, errors = count_new(out)
        not_modified = out.count("not modified")
        results.append((p, wall, rss, new, errors, not_modified))
        if errors:
            print(f"tocsin pass {p}: {errors} sources failed, e.g.:")
            print("\n".join([l for l in out.splitlines() if "error:" in l][:3]))
    return results


def bench_newsboat(args, work, n):
    if shutil.which("newsboat") is None:
        print("newsboat: not installed, skipped (apt-get install newsboat)")
        return None
    nb = os.path.join(work, "newsboat")
    os.makedirs(nb, exist_ok=True)
    with open(os.path.join(nb, "urls"), "w") as f:
        f.write("\n".join(url(i, args.port) for i in range(n)) + "\n")
    with open(os.path.join(nb, "config"), "w") as f:
        f.write(f"reload-threads {args.concurrency}\n")
    env = dict(os.environ, HOME=nb)
    results = []
    for p in (1, 2):
        cmd = ["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload"]
        wall, rss, _, _ = measured(cmd, cwd=nb, env=env)
        db = sqlite3.connect(os.path.join(nb, "cache.db"))
        items = db.execute("SELECT count(*) FROM rss_item").fetchone()[0]
        db.close()
        results.append((p, wall, rss, items))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--tocsin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "tocsin"))
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("--perf", type=int, choices=[1, 2], help="record this pass with perf")
    args = ap.parse_args()
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        raise SystemExit("nginx is needed: apt-get install nginx-light")
    os.environ["PATH"] += ":/usr/sbin"
    if not os.path.exists(args.tocsin):
        raise SystemExit(f"{args.tocsin} not found: cargo build --release first")
    work = args.keep or tempfile.mkdtemp(prefix="tocsin-bench-")
    os.makedirs(work, exist_ok=True)
    for d in ("var", "newsboat"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    n = args.feeds
    docs, total = generate(work, n)
    print(f"{n} feeds, {n * 50} items, {total / 1e6:.1f} MB ({total / n / 1024:.1f} KiB per feed), "
          f"concurrency {args.concurrency}, {os.cpu_count()} CPUs")
    start_nginx(work, docs, n, args.port)
    try:
        time.sleep(0.5)
        t = bench_tocsin(args, work, n)
        nb = bench_newsboat(args, work, n)
    finally:
        stop_nginx(work)
    print()
    print(f"{'':8} {'pass':>4} {'wall s':>8} {'items':>7} {'items/s':>9} {'peak RSS MiB':>13}  notes")
    for p, wall, rss, new, errors, nm in t:
        notes = f"{nm} not modified" if p == 2 else ""
        if errors:
            notes += f" {errors} errors"
        print(f"{'tocsin':8} {p:>4} {wall:>8.3f} {new:>7} {new / wall:>9.0f} {rss:>13.1f}  {notes}")
    if nb:
        prev = 0
        for p, wall, rss, items in nb:
            print(f"{'newsboat':8} {p:>4} {wall:>8.3f} {items - prev:>7} {(items - prev) / wall:>9.0f} {rss:>13.1f}")
            prev = items
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
