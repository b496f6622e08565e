"""Do no harm: text that is already clean passes untouched; pages without an article are
reported as not-article; boilerplate never empties a document that holds prose."""
from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner
from conftest import read_jsonl

import cleaner
from cleaner.boilerplate import boilerplate_removals
from cleaner.boilerplate.model import Logistic, Model, load_model
from cleaner.cli import main
from cleaner.config import BoilerplateConfig, Config
from cleaner.segment import split_blocks

ESSAYS = {  # in input (file name) order: the source comes before the essay that copies from it
    "a-winter": ("On Keeping a Garden Through Winter", [
        "Most people put their gardens to bed in October and do not think about them again until the "
        "seed catalogues arrive. I used to do the same, and every spring I paid for it with soil that had "
        "packed down into a grey crust and beds that the first warm week covered in weeds.",
        "A garden does not stop in winter; it only slows. Roots go on growing whenever the ground is not "
        "frozen, worms keep pulling leaves under, and the fungi that feed the next year's plants are busiest "
        "in the cold, wet months when nobody is looking.",
        "So now I leave the stalks standing, spread a thick layer of leaves over every bed, and walk the "
        "paths once a week to see what the frost has moved. It costs an hour a month. What it gives back is "
        "a bed that crumbles in the hand in March and asks for nothing but seed.",
    ]),
    "b-trains": ("Why I Still Take the Slow Train", [
        "There is a fast train between the two cities now, and it takes a little over an hour. I still take "
        "the old one, which stops at every village on the line and needs nearly three.",
        "The slow train is where I read. Nobody sits next to me, the conductor knows my name, and the view "
        "changes slowly enough that I can watch a heron lift off the river and land again before we pass it.",
        "I do not pretend this is efficient. It is a habit I keep because it gives me two hours a week in "
        "which nothing is expected of me, and I have found no other way to buy that.",
    ]),
    "c-letters": ("The Letters in the Attic", [
        "When we cleared my grandmother's house we found a shoebox of letters under the eaves, tied with "
        "kitchen string and sorted by year. Most were from her sister, who had emigrated young and never "
        "came back.",
        # A sentence copied from another essay, as students and aggregators do.
        "A garden does not stop in winter; it only slows. The letters are mostly about weather, prices and "
        "children, and only rarely about the two of them.",
        "I have read them all twice now. What stays with me is how little they say outright, and how much a "
        "list of what the hens were laying can carry when it is written to someone you will not see again.",
    ]),
}


def essay(title: str, paragraphs: list[str]) -> str:
    return title + "\n\n" + "\n\n".join(textwrap.fill(p, 72) for p in paragraphs) + "\n"


def test_an_essay_in_hard_wrapped_prose_comes_out_whole():
    for title, paragraphs in ESSAYS.values():
        text = essay(title, paragraphs)
        r = cleaner.clean_text(text, Config())
        assert r.text == text and r.removals == [], title
        assert r.doc.meta["layout"] == "wrapped"


def test_a_folder_of_essays_loses_only_the_copied_sentence_and_the_source_stays_whole(tmp_path):
    folder = tmp_path / "essays"
    folder.mkdir()
    texts = {}
    for name, (title, paragraphs) in ESSAYS.items():
        texts[f"{name}.txt"] = essay(title, paragraphs)
        (folder / f"{name}.txt").write_text(texts[f"{name}.txt"], encoding="utf-8")
    # Twenty more essays in the folder, sharing a heading, so site templates are counted too.
    for i in range(20):
        body = [p.replace("train", f"train {i}").replace("river", f"river {i}") for p in ESSAYS["b-trains"][1]]
        (folder / f"d-more{i:02d}.txt").write_text(essay("An essay", body), encoding="utf-8")
    run = cleaner.run([str(folder)], str(tmp_path / "out"), Config())
    docs = {d["id"]: d for d in read_jsonl(tmp_path / "out" / "documents.jsonl")}
    assert docs["a-winter.txt"]["text"] == texts["a-winter.txt"]  # the source keeps every word
    assert all(not r["reason"].startswith("boilerplate:") for r in read_jsonl(tmp_path / "out" / "removed.jsonl"))
    assert run["documents"]["dropped_empty"] == 0


def test_copies_of_a_record_keep_one(tmp_path):
    corpus = tmp_path / "same.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"r{i}", "text": "Thank you for reading."}) + "\n"
                              for i in range(200)), encoding="utf-8")
    cleaner.run([str(corpus)], str(tmp_path / "out"), Config())
    assert [d["text"] for d in read_jsonl(tmp_path / "out" / "documents.jsonl")] == ["Thank you for reading."]


HOME_PAGE = "\n\n".join([
    "Home", "World", "Business", "Sport", "Culture", "Weather",
    "Latest", "Bridge closed for repairs", "The old bridge will close next week while crews...", "2 hours ago",
    "Library opens new wing", "Visitors lined up early to see the new reading...", "5 hours ago",
    "About us", "Contact", "Privacy", "Terms of use",
]) + "\n"


def test_a_page_without_an_article_is_not_article_reported_and_restorable(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "home.txt").write_text(HOME_PAGE, encoding="utf-8")
    (inputs / "story.txt").write_text(essay(*ESSAYS["b-trains"]), encoding="utf-8")
    r = CliRunner().invoke(main, ["clean", str(inputs), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "1 not-article" in r.output and "home.txt" in r.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["documents"]["dropped_not_article"] == 1 and summary["documents"]["dropped_empty"] == 0
    assert summary["not_article"] == ["home.txt"]
    assert [d["id"] for d in read_jsonl(tmp_path / "out" / "documents.jsonl")] == ["story.txt"]
    (removal,) = [x for x in read_jsonl(tmp_path / "out" / "removed.jsonl") if x["doc_id"] == "home.txt"]
    assert removal["reason"] == "boilerplate:not-article" and removal["text"] == HOME_PAGE
    assert cleaner.restore(str(tmp_path / "out"), "home.txt") == HOME_PAGE


def test_a_short_record_without_furniture_is_not_a_not_article():
    for text in ("Thank you.", "Tickets: 10 euros", "Open daily\n\nClosed on Mondays"):
        assert cleaner.clean_text(text, Config()).text == text


def test_boilerplate_never_empties_a_document_that_holds_prose():
    # A model that rejects every block: the page's main text stays all the same.
    shipped = load_model()
    rejects_all = Model(Logistic(tuple(0.0 for _ in shipped.lines.weights), -20.0, shipped.lines.mean, shipped.lines.scale),
                        Logistic(tuple(0.0 for _ in shipped.neighbours.weights), -20.0, shipped.neighbours.mean,
                                 shipped.neighbours.scale), 0.5, frozenset())
    nav = ["Home", "World", "Business", "Sport", "Culture", "Weather", "Sign in", "Subscribe"]
    title, paragraphs = ESSAYS["a-winter"]
    text = "\n\n".join(nav + paragraphs) + "\n"
    blocks = split_blocks(text)
    removals, _ = boilerplate_removals("d", text, blocks, frozenset(), BoilerplateConfig(), model=rejects_all)
    kept = cleaner.model.kept_text(text, removals)
    assert all(p in kept for p in paragraphs)
    assert not any(item in kept for item in nav[:6])


TREES = ("The trees we planted that year were these:", ["Oak", "Ash", "Beech", "Rowan"])
PARAGRAPHS = [
    "We moved to the valley in the spring, when the river was still high and the fields were soft.",
    "The first thing we did was plant a hedge along the lane, because the wind came straight off the hill.",
    "By the autumn the hedge was waist high, and the birds had already found it and moved in for winter.",
    "Ten years on, the wood is dense enough that we lose the children in it on summer evenings.",
]


def test_a_short_list_in_clean_prose_does_not_make_a_page():
    intro, items = TREES
    for listing in (items, [f"- {t}" for t in items], [f"{k}. {t}" for k, t in enumerate(items, 1)]):
        for with_intro in (True, False):
            body = PARAGRAPHS[:2] + ([intro] if with_intro else []) + listing + PARAGRAPHS[2:]
            for sep in ("\n\n", "\n"):
                text = sep.join(body) + "\n"
                r = cleaner.clean_text(text, Config())
                assert r.text == text and r.removals == [], (listing, with_intro, repr(sep))


def test_a_list_of_ones_own_is_not_a_not_article():
    for text in ("Groceries\n\nMilk\nEggs\nBread\nButter\nApples\n",
                 "White Hills,\nBlack Trees,\nGrey Skies,\nCold Mornings,\nLong Roads,\n",
                 "\n".join(f"Player {n} - Hale" for n in ("One", "Two", "Three", "Four", "Five")) + "\n"):
        r = cleaner.clean_text(text, Config())
        assert r.text == text and r.removals == [], text


def test_markdown_titles_are_plain_text_and_front_matter_stays():
    front = "---\ntitle: Walking\ndate: 2020-01-01\ntags: [history, walking]\n---\n\n"
    body = "\n\n".join(PARAGRAPHS) + "\n"
    r = cleaner.clean_text(front + body, Config())
    assert r.text == front + body and r.doc.title is None
    for head, title in (("# The Canal Restoration Project #\n\n", "The Canal Restoration Project"),
                        ("The Canal Restoration Project\n=============================\n\n", "The Canal Restoration Project")):
        menu = "\n".join(f"- [{w}](https://example.org/{w})" for w in ("Home", "News", "Sport", "Culture", "Weather"))
        page = menu + "\n\n" + head + "## In brief\n\n" + body + "\n" + menu.replace("example", "example2") + "\n"
        r = cleaner.clean_text(page, Config())
        assert r.doc.title == title, r.doc.title
        assert all(p in r.text for p in PARAGRAPHS)


def test_trailing_spaces_on_every_line_keep_one_block_a_line():
    nav = ["Home", "World", "Business", "Sport", "Culture", "Weather", "Sign in", "Subscribe"]
    page = "\n".join(nav + ["River park to grow"] + PARAGRAPHS + ["About us", "Contact", "Privacy", "Careers"]) + "\n"
    spaced = page.replace("\n", " \n")
    r = cleaner.clean_text(spaced, Config().with_overrides({"dedup.enabled": False}))
    assert r.doc.meta["layout"] == "lines"
    assert all(p in r.text for p in PARAGRAPHS) and not any(item in r.text for item in nav)
