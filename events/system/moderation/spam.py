"""The spam scorer: documented rules, each adding points, all configured in settings
(MODERATION_SPAM_*, docs/moderation.md).

- links: every link (`http://`, `https://`, `www.`) past the first MODERATION_SPAM_FREE_LINKS
  adds MODERATION_SPAM_LINK_POINTS;
- blocklist: every term of MODERATION_BLOCKLIST found as a whole word (any case) adds
  MODERATION_SPAM_BLOCKLIST_POINTS;
- repeated: every earlier post of the same text by the same author within
  MODERATION_SPAM_REPEAT_MINUTES adds MODERATION_SPAM_REPEAT_POINTS;
- shouting: at least MODERATION_SPAM_SHOUTING_MIN_LETTERS letters, of which at least
  MODERATION_SPAM_SHOUTING_PERCENT % are capitals, adds MODERATION_SPAM_SHOUTING_POINTS.

A score at or over MODERATION_SPAM_FLAG_SCORE flags the content; at or over
MODERATION_SPAM_HIDE_SCORE it is also hidden pending review (events.system.moderation.services).
Pure functions: the caller counts the repeats.
"""

import re
from dataclasses import dataclass

from django.conf import settings

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Verdict:
    score: int
    reasons: tuple[str, ...]


def spam_verdict(text: str, *, repeats: int) -> Verdict:
    """The score of `text`, and one reason per rule that scored; `repeats` is how many
    times its author posted the same text within the repeat window before."""
    score, reasons = 0, []
    links = len(_LINK.findall(text))
    extra_links = links - settings.MODERATION_SPAM_FREE_LINKS
    if extra_links > 0:
        score += extra_links * settings.MODERATION_SPAM_LINK_POINTS
        reasons.append(f"links: {links}")
    for term in blocklisted_terms(text):
        score += settings.MODERATION_SPAM_BLOCKLIST_POINTS
        reasons.append(f"blocklisted term: {term}")
    if repeats > 0:
        score += repeats * settings.MODERATION_SPAM_REPEAT_POINTS
        window = settings.MODERATION_SPAM_REPEAT_MINUTES
        reasons.append(f"repeated: {repeats} earlier in {window} minutes")
    capitals = shouting_percent(text)
    if capitals is not None and capitals >= settings.MODERATION_SPAM_SHOUTING_PERCENT:
        score += settings.MODERATION_SPAM_SHOUTING_POINTS
        reasons.append(f"shouting: {capitals}% capitals")
    return Verdict(score, tuple(reasons))


def blocklisted_terms(text: str) -> list[str]:
    """The blocklist's terms found in `text` as whole words, in the blocklist's order."""
    return [
        term
        for term in settings.MODERATION_BLOCKLIST
        if term.strip()
        and re.search(rf"(?<!\w){re.escape(term.strip())}(?!\w)", text, re.IGNORECASE)
    ]


def shouting_percent(text: str) -> int | None:
    """The share of capitals among the letters, in whole percent; None below the minimum
    number of letters (a short "OK!" is not shouting)."""
    letters = [char for char in text if char.isalpha()]
    if len(letters) < settings.MODERATION_SPAM_SHOUTING_MIN_LETTERS:
        return None
    return 100 * sum(char.isupper() for char in letters) // len(letters)
