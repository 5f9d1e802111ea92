"""The README and docs/ point at things that exist: relative links reach a file (and the heading
their fragment names), and the repository paths they quote in backticks exist."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
# A path into one of the project's top-level folders, as the docs quote them.
REPO_PATH = re.compile(
    r"^(?:articles|comments|conduit|events|tags|users|bench|docs|deploy|tests)/[\w./-]*$"
)


def _prose(path: Path) -> str:
    """The file without its fenced code blocks (their text is code, not links or claims)."""
    return FENCE.sub("", path.read_text())


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {
        _slug(line.lstrip("#")) for line in _prose(path).splitlines() if re.match(r"^#{1,6} ", line)
    }


def test_the_slug_is_githubs():
    assert _slug("Readers' flags") == "readers-flags"
    assert _slug("What `publish` guarantees") == "what-publish-guarantees"
    assert _slug("Full-text search") == "full-text-search"


def test_every_relative_link_reaches_a_file_and_its_heading():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(_prose(doc)):
            if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                continue
            file_part, _, fragment = target.partition("#")
            linked = (doc.parent / file_part).resolve() if file_part else doc
            where = f"{doc.relative_to(ROOT)}: ({target})"
            if not linked.exists():
                broken.append(f"{where}: no such file")
            elif fragment and linked.suffix == ".md" and fragment not in _anchors(linked):
                broken.append(f"{where}: no heading '#{fragment}' in {linked.relative_to(ROOT)}")
    assert not broken, "Broken links in the docs:\n" + "\n".join(broken)


def test_every_repository_path_the_docs_quote_exists():
    missing = []
    for doc in DOCS:
        for span in CODE_SPAN.findall(_prose(doc)):
            if REPO_PATH.match(span) and not (ROOT / span).exists():
                missing.append(f"{doc.relative_to(ROOT)}: `{span}`")
    assert not missing, (
        "The docs name files or folders that do not exist (moved? update the docs):\n"
        + "\n".join(missing)
    )
