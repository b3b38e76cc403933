"""Every link in the README, docs/ and the Postman collection resolves inside the repository."""
import json
import pathlib
import re

import pytest

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)  # `[x](/about)` is an example, not a link


def anchors(path):
    """GitHub's heading anchors: lowercased, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, re.M)}


def links(path):
    return LINK.findall(CODE_SPAN.sub("", FENCE.sub("", path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(document):
    for target in links(document):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        file_part, _, anchor = target.partition("#")
        resolved = (document.parent / file_part).resolve() if file_part else document
        assert resolved.is_relative_to(ROOT), f"{target} leaves the repository"
        assert resolved.exists(), f"{document.name}: {target} does not exist"
        if anchor:
            assert anchor in anchors(resolved), f"{document.name}: no heading for #{anchor} in {resolved.name}"


def test_the_docs_are_linked_from_the_readme():
    readme_links = set(links(ROOT / "README.md"))
    for document in DOCUMENTS[1:]:
        assert f"docs/{document.name}" in readme_links, f"README does not link docs/{document.name}"


def test_the_collection_names_only_files_that_exist():
    collection = json.loads((ROOT / "postman_collection.json").read_text(encoding="utf-8"))
    description = collection["info"]["description"]
    named = re.findall(r"[\w./-]+\.(?:md|json)\b", description)
    assert "docs/api.md" in named
    for name in named:
        assert (ROOT / name).exists(), f"the collection names {name}, which does not exist"
    environment = json.loads((ROOT / "postman_environment.json").read_text(encoding="utf-8"))
    assert {value["key"] for value in environment["values"]} == {"baseUrl", "adminUsername", "adminPassword",
                                                                  "changePassword"}
