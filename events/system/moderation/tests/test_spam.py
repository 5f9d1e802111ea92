"""The spam scorer's rules, each on its own and together, with the settings that tune them."""

from events.system.moderation.spam import Verdict, spam_verdict

CLEAN = "I trained my dragon for three weeks and learned a lot about patience."


def test_an_ordinary_text_scores_nothing():
    assert spam_verdict(CLEAN, repeats=0) == Verdict(0, ())


def test_links_past_the_free_ones_score_each():
    text = "see https://a.example http://b.example www.c.example https://d.example"

    assert spam_verdict(text, repeats=0) == Verdict(30, ("links: 4",))
    assert spam_verdict("https://a.example and www.b.example", repeats=0) == Verdict(0, ())


def test_each_blocklisted_term_found_as_a_whole_word_scores(settings):
    settings.MODERATION_BLOCKLIST = ["casino", "payday loan"]

    verdict = spam_verdict("Best CASINO bonus! Get a Payday Loan.", repeats=0)

    assert verdict == Verdict(80, ("blocklisted term: casino", "blocklisted term: payday loan"))
    assert spam_verdict("casinos and casinoroyale", repeats=0) == Verdict(0, ())


def test_repeats_of_the_same_text_score_each():
    assert spam_verdict(CLEAN, repeats=2) == Verdict(60, ("repeated: 2 earlier in 10 minutes",))


def test_shouting_scores_once_past_the_minimum_length():
    assert spam_verdict("BUY NOW THIS IS THE BEST OFFER EVER", repeats=0) == Verdict(
        25, ("shouting: 100% capitals",)
    )
    assert spam_verdict("OK THEN!", repeats=0) == Verdict(0, ())
    assert spam_verdict("NASA and ESA launched a probe today", repeats=0) == Verdict(0, ())


def test_the_rules_add_up_and_follow_their_settings(settings):
    settings.MODERATION_SPAM_FREE_LINKS = 0
    settings.MODERATION_SPAM_LINK_POINTS = 5
    settings.MODERATION_BLOCKLIST = ["viagra"]
    settings.MODERATION_SPAM_BLOCKLIST_POINTS = 50
    settings.MODERATION_SPAM_REPEAT_POINTS = 1
    settings.MODERATION_SPAM_REPEAT_MINUTES = 3

    verdict = spam_verdict("cheap viagra at https://x.example", repeats=4)

    assert verdict == Verdict(
        59, ("links: 1", "blocklisted term: viagra", "repeated: 4 earlier in 3 minutes")
    )
