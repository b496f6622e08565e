"""Boilerplate rules on hand-made pages. The words are invented: the rules must fire on shape."""
import cleaner
from cleaner.boilerplate.features import is_timestamp, line_features
from cleaner.boilerplate.language import detect_language, stopwords
from cleaner.config import Config

ARTICLE = [
    "The council voted on Tuesday to expand the river park after a long public consultation.",
    "Residents who attended the meeting said the plan would protect the wetlands from new building.",
    "The mayor said work would begin in the spring and should be finished within two years.",
    "Critics argued that the budget for the project had not been explained to the public at all.",
]


def no_dedup() -> Config:
    return Config().with_overrides({"dedup.enabled": False})


def kept_lines(text: str) -> list[str]:
    return [line for line in cleaner.clean_text(text, no_dedup()).text.splitlines() if line.strip()]


def title_of(text: str) -> str | None:
    return cleaner.clean_text(text, no_dedup()).doc.title


def reasons(text: str) -> list[str]:
    return [r.reason for r in cleaner.clean_text(text, no_dedup()).removals]


def test_features_describe_shape():
    f = line_features("Officials said the plan is final.", stopwords("English"))
    assert f.ends_sentence and not f.ellipsis and f.words == 6 and f.stopword_share > 0.2
    assert line_features("Markets rally as rates fall and traders buy...", frozenset()).ellipsis
    assert line_features("WATCH: Storm hits the coast", frozenset()).label
    assert not line_features("SPEAKER ONE: We are here.", frozenset()).label
    assert not line_features("A: Trip to the coast", frozenset()).label  # an interview answer
    assert line_features("The clip shows the flood. 3:41", frozenset()).media_duration
    assert not line_features("The clip shows the flood 3:41", frozenset()).media_duration


def test_features_on_line_ends_case_and_digits_beyond_ascii():
    # `$`-style ends: a last newline and closing quotes or brackets may follow the mark
    assert line_features('He said "Stop."\n', frozenset()).ends_sentence
    f = line_features("And then…”)", frozenset())
    assert f.ellipsis and not f.ends_sentence
    assert not line_features("Read more »", frozenset()).ends_sentence
    f = line_features("A B CD ÉTÉ x", frozenset())
    assert f.title_case_share == 4 / 5 and f.upper_share == 2 / 5  # one-letter words are not capitals
    assert line_features("ab12", frozenset()).digit_share == 0.5
    assert line_features("a٣", frozenset()).digit_share == 0.5  # an Arabic-Indic digit
    assert line_features("İstanbul ﬁnal", frozenset()).alnum == "istanbulfinal"  # folded, marks dropped


def test_timestamps():
    for stamp in ("19 mins ago", "1 hour ago", "November 20, 2019", "Nov. 20, 2019 10:32 am ET", "2019-11-20", "3:41"):
        assert is_timestamp(stamp), stamp
    assert is_timestamp("Updated ²") and is_timestamp("① Jan")  # numbers as str.isdigit reads them
    long_stamp = "Mon Nov 20 2019 at 10 32 am ET updated 3 mins ago"  # 13 tokens: too long for a stamp
    for line in ("Posted by Anna", "The meeting is at 10", "Top 10 stories", "1", "2019", long_stamp):
        assert not is_timestamp(line), line


def test_teaser_sidebar_after_article_is_removed_with_its_heading():
    sidebar = ["Around the site", "Bridge closed for repairs", "The old bridge will close next week while crews...",
               "2 hours ago", "Library opens new wing", "Visitors lined up early to see the new reading...", "5 hours ago"]
    page = "\n\n".join(["River park to grow"] + ARTICLE + sidebar)
    assert kept_lines(page) == ARTICLE
    assert title_of(page) == "River park to grow"
    assert "boilerplate:teaser-run" in reasons("\n\n".join(ARTICLE + sidebar))


NAV = ["Home", "World", "Business", "Sport", "Culture", "Weather", "Sign in", "Subscribe"]


def test_teaser_run_in_the_middle_of_a_page():
    middle = ["More stories", "Ferry fares to rise...", "Tuesday's weather turns cold..."]
    lines = kept_lines("\n\n".join(NAV + ARTICLE[:2] + middle + ARTICLE[2:]))
    assert lines == ARTICLE


def test_prose_with_nothing_page_like_around_it_passes_untouched():
    # The same lines without a page around them: two lines trailing off are a writer's style.
    text = "\n\n".join(["River park to grow"] + ARTICLE[:2] + ["More stories", "Ferry fares to rise...",
                                                              "Tuesday's weather turns cold..."] + ARTICLE[2:])
    r = cleaner.clean_text(text, no_dedup())
    assert r.text == text and r.removals == [] and r.doc.title is None


def test_glued_and_doubled_titles():
    for head in (["City NewsRiver park to grow this year", "River park to grow this year"],
                 ["River park to grow this year", "River park to grow this year River park to grow this year"]):
        page = "\n\n".join(head + ARTICLE)
        assert kept_lines(page) == ARTICLE  # the title leaves the text for the title field, once
        assert title_of(page) == "River park to grow this year"
        assert "boilerplate:title-variant" in reasons(page)


def test_label_links_timestamps_and_captions_go_from_the_body():
    page = ARTICLE[:2] + ["SEE ALSO: Ten parks to visit this summer", "March 3, 2021",
                          "A drone view shows the river at dawn. 1:12"] + ARTICLE[2:]
    assert kept_lines("\n\n".join(page)) == ARTICLE
    assert reasons("\n\n".join(page)) == ["boilerplate:label-link", "boilerplate:timestamp", "boilerplate:media-caption"]


def test_author_bio_after_the_article():
    bio = ["Jane Q Writer", "Jane Q Writer is a reporter covering city hall and the environment for the paper since 2010."]
    assert kept_lines("\n\n".join(NAV + ARTICLE + bio)) == ARTICLE
    assert "boilerplate:author-bio" in reasons("\n\n".join(NAV + ARTICLE + bio))
    # Without a page around them, a bio is the writer's text too.
    assert kept_lines("\n\n".join(ARTICLE + bio)) == ARTICLE + bio


def test_learned_model_on_a_page_and_not_on_a_short_record():
    nav = ["Home", "World", "Business", "Sport", "Culture", "Weather", "Sign in", "Subscribe"]
    footer = ["About us", "Contact", "Privacy", "Terms of use", "© 2024 The Town Paper"]
    article = ARTICLE + ["Supporters said the park would give families a safe place to walk along the water.",
                         "A second public meeting on the design is planned for the end of next month."]
    page = "\n".join(nav + ["River park to grow"] + article + footer)
    kept = kept_lines(page)
    assert kept[:len(article)] == article  # the article whole, the menu gone
    assert len(kept) <= len(article) + 1  # the footer gone, but for its first link at most (a borderline score)
    removed = {r.reason for r in cleaner.clean_text(page, no_dedup()).removals}
    assert {"boilerplate:before-article", "boilerplate:after-article", "boilerplate:title"} <= removed
    record = ARTICLE[0]
    assert cleaner.clean_text(record, no_dedup()).text == record


def test_subheadings_and_short_closing_sentence_stay():
    page = ARTICLE[:2] + ["What happens next"] + ARTICLE[2:] + ["That is all for now."]
    assert kept_lines("\n\n".join(page)) == page


def test_page_without_prose_is_left_alone():
    page = ["Menu", "Home", "Contact us"]
    assert kept_lines("\n\n".join(page)) == page


def test_language_detection_and_non_english_page_is_not_stripped():
    german = [
        "Der Stadtrat hat am Dienstag beschlossen, den Park am Fluss nach einer langen Anhörung zu erweitern.",
        "Die Anwohner sagten, dass der Plan die Feuchtgebiete vor neuen Gebäuden schützen werde.",
        "Der Bürgermeister sagte, die Arbeiten würden im Frühjahr beginnen und zwei Jahre dauern.",
    ]
    assert detect_language("der die und das ist nicht mit".split()) == "German"
    assert detect_language("le la et les est pas avec une".split()) == "French"
    assert detect_language([]) is None
    assert kept_lines("\n\n".join(german)) == german


def test_boilerplate_can_be_switched_off():
    cfg = Config().with_overrides({"boilerplate.enabled": False, "dedup.enabled": False})
    page = "\n\n".join(ARTICLE + ["Latest", "One...", "Two..."])
    assert cleaner.clean_text(page, cfg).text == page


def test_non_english_pages_keep_their_article_through_the_learned_model():
    pages = {
        "German": (["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur", "Wetter", "Anmelden"],
                   ["Der Stadtrat hat am Dienstag beschlossen, den Park am Fluss nach einer langen Anhörung zu erweitern.",
                    "Die Anwohner sagten, dass der Plan die Feuchtgebiete vor neuen Gebäuden schützen werde.",
                    "Der Bürgermeister sagte, die Arbeiten würden im Frühjahr beginnen und zwei Jahre dauern.",
                    "Kritiker bemängelten, dass die Kosten des Projekts der Öffentlichkeit nie erklärt worden seien."],
                   ["Impressum", "Datenschutz", "Kontakt", "Karriere"]),
        "Spanish": (["Inicio", "Política", "Economía", "Deportes", "Cultura", "Tiempo", "Entrar"],
                    ["El ayuntamiento aprobó el martes ampliar el parque del río tras una larga consulta pública.",
                     "Los vecinos dijeron que el plan protegería los humedales de nuevas construcciones en la zona.",
                     "El alcalde explicó que las obras empezarán en primavera y que durarán unos dos años.",
                     "Los críticos señalaron que el presupuesto del proyecto nunca se había explicado a los vecinos."],
                    ["Aviso Legal", "Privacidad", "Contacto", "Empleo"]),
    }
    for language, (nav, article, footer) in pages.items():
        text = "\n".join(nav + article + footer)
        r = cleaner.clean_text(text, no_dedup())
        assert r.doc.meta["language"] == language
        assert [line for line in r.text.splitlines() if line.strip()] == article, language


def test_unspaced_scripts_count_characters_as_words():
    from cleaner.boilerplate.features import word_count

    assert word_count("今日は市議会が川沿いの公園を拡張することを決めました。") >= 10
    assert word_count("plain English words here") == 4


# -- which prose is the main text -----------------------------------------------------------------
FOOTER_MENU = ["About us", "Contact", "Careers", "Advertise", "Privacy policy", "Terms of use", "Newsletters",
               "Site map", "Help centre", "Accessibility"]
NOTICE = ("This website uses cookies to improve your experience while you navigate through the website. Out of "
          "these cookies, the cookies that are categorized as necessary are stored on your browser as they are "
          "essential for the working of basic functionalities of the website. We also use third-party cookies "
          "that help us analyze and understand how you use this website, and they are stored in your browser "
          "only with your consent, which you can withdraw at any time from the settings page.")


def main_text(lines: list[str]) -> list[str]:
    """The blocks page_context puts in the main text of a one-block-a-line page."""
    from cleaner.boilerplate.classifier import is_prose
    from cleaner.boilerplate.context import page_context
    from cleaner.boilerplate.features import block_features
    from cleaner.segment import split_blocks

    blocks = split_blocks("\n".join(lines) + "\n")
    features = [block_features(b, stopwords("English")) for b in blocks]
    prose = [is_prose(f, Config().boilerplate) for f in features]
    return [b.text for b, c in zip(blocks, page_context(features, prose)) if c.in_main]


def test_a_short_article_beats_a_longer_notice_at_the_bottom_of_the_page():
    lines = NAV + ["River park to grow"] + ARTICLE + FOOTER_MENU + [NOTICE]  # 62 words, and 80
    assert main_text(lines) == ARTICLE
    kept = kept_lines("\n\n".join(lines))
    assert all(line in kept for line in ARTICLE)


def test_a_caption_printed_twice_counts_once():
    caption = ("A view of the harbour at dawn, with the fishing boats coming in after a night at sea and the gulls "
               "following them to the quay where the market opens at six.")
    carousel = ["Harbour photos", caption, caption, "More photos", "Gallery"]
    assert main_text(NAV + carousel + ["Gallery", "Photos"] + ARTICLE) == ARTICLE


def test_a_comment_thread_is_not_the_main_text():
    comments = []
    for name, text in (("anna says:", ARTICLE[1]), ("bob says:", ARTICLE[2]), ("carl says:", ARTICLE[3])):
        comments += [name, "November 19, 2019 at 10:15 am", text.replace("said", "wrote")]
    article = [ARTICLE[0], "The vote followed two years of debate about the cost of the land and its upkeep."]
    lines = NAV + ["River park to grow"] + article + ["Comments", "Leave a reply"] + FOOTER_MENU[:3] + comments
    assert main_text(lines) == article


def test_the_main_text_goes_on_across_an_inset():
    inset = ["Related", "Ferry fares to rise", "Read more", "Advertisement"]
    second = ["The park will gain a new boardwalk along the river, the council said in its plan for the park.",
              "The river wetlands will be protected from building, and the council will plant new trees there."]
    lines = NAV + ARTICLE + inset + second + FOOTER_MENU
    assert main_text(lines) == ARTICLE + inset + second
