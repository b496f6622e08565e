"""Writes the small inputs the README's recipes run on (invented pages of an invented town
paper): html/ (three pages of one site, one a lightly edited copy), posts.jsonl (records with
their own field names), crawl.warc.gz (the pages as a crawler archives them), day1.jsonl and
day2.jsonl (two days of a feed that repeats itself).

    python docs/examples/make_examples.py
"""
import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAV = "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a> <a href='/about'>About</a></nav>"
FOOT = "<footer><p>The Valley Courier · 12 Quay Street</p><a href='/privacy'>Privacy</a> <a href='/contact'>Contact</a></footer>"
ARTICLES = {
    "ferry-terminal": ("New ferry terminal opens in spring", [
        "The new ferry terminal on the north quay will open in the spring, after two years of delays caused by "
        "flooding and a shortage of steel, the harbour board said on Tuesday.",
        "Shops along the quay expect more visitors once the ferries run again, and the council has promised to "
        "repair the old sea wall before the summer season begins.",
        "The board said tickets would go on sale in March, with a timetable of six crossings a day to the island "
        "and a late boat on Fridays and Saturdays.",
    ]),
    "river-park": ("River park to grow by a third", [
        "The council voted on Tuesday to expand the river park by a third, after a public consultation that "
        "drew hundreds of residents to the town hall over three evenings.",
        "Residents who spoke at the meetings said the plan would protect the wetlands from new building, and "
        "the mayor said work would begin once the ground dries out in late spring.",
        "Critics argued that the budget for the boardwalk had not been explained, and asked the council to "
        "publish the costs before the first contract is signed.",
    ]),
}


def page(slug: str, title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title} | The Valley Courier</title></head><body>{NAV}"
            f"<article><h1>{title}</h1>{body}</article><aside><h2>Most read</h2><ul><li><a href='/a'>Bus fares "
            f"to rise in May</a></li><li><a href='/b'>Library opens new wing</a></li></ul></aside>{FOOT}</body></html>")


def main() -> None:
    html = HERE / "html"
    html.mkdir(exist_ok=True)
    pages = {slug: page(slug, title, ps) for slug, (title, ps) in ARTICLES.items()}
    title, ps = ARTICLES["ferry-terminal"]
    pages["ferry-terminal-update"] = page("ferry-terminal-update", title + " (updated)",
                                          ps[:2] + [ps[2].replace("six crossings", "seven crossings")])
    for slug, text in pages.items():
        (html / f"{slug}.html").write_text(text, encoding="utf-8")
    posts = [{"post_id": f"p{i}", "body": " ".join(ps), "lang": "en", "published": f"2024-05-0{i + 1}"}
             for i, (_, ps) in enumerate(ARTICLES.values())]
    (HERE / "posts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    records = []
    for n, (slug, text) in enumerate(pages.items()):
        body = text.encode("utf-8")
        block = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
                 .encode() + body)
        head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\n"
                f"WARC-Date: 2024-05-0{n + 1}T10:00:00Z\r\nWARC-Target-URI: https://courier.example/{slug}\r\n"
                f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n")
        records.append(gzip.compress(head.encode() + block + b"\r\n\r\n", mtime=0))
    (HERE / "crawl.warc.gz").write_bytes(b"".join(records))
    day1 = [{"id": f"d1-{i}", "text": " ".join(ps)} for i, (_, ps) in enumerate(ARTICLES.values())]
    day2 = [{"id": "d2-0", "text": day1[0]["text"]},  # the feed sends yesterday's story again
            {"id": "d2-1", "text": "The library will open its new wing on Saturday, with a reading room on the "
                                   "river side and longer hours on weekday evenings, the librarian said."}]
    for name, rows in (("day1.jsonl", day1), ("day2.jsonl", day2)):
        (HERE / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
