"""Writes an RSS 2.0 feed of N realistic appeal-like items to stdout (bench fixtures)."""
import datetime
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
base = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
out = [
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
    "<link>https://publisher.example.org/</link><description>bench</description>"
]
for i in range(n):
    t = (base + datetime.timedelta(hours=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    out.append(
        f"<item><title>Arbitrary detention of human rights defender Mr. Example {i}</title>"
        f"<link>https://publisher.example.org/news/item-{i}</link>"
        f"<guid>https://publisher.example.org/?p={i}</guid><pubDate>{t}</pubDate>"
        "<category>Urgent Interventions</category><description><![CDATA["
        f"<p>Geneva, {i}. The Observatory has been informed by reliable sources about the "
        f"<b>arbitrary detention</b> of human rights defender Mr. Example {i}, arrested "
        f'without a warrant and held incommunicado. <a href="/case/{i}">Read more</a></p>'
        "<p>The Observatory urges the authorities to release him immediately and "
        "unconditionally.</p>]]></description></item>"
    )
out.append("</channel></rss>")
sys.stdout.write("".join(out))
