"""Trimming the assets never breaks a page: what a document uses (its classes and
`data-module`s), and which of those the built assets lack: a class whose rules `make assets`
left out (assets/unused-selectors.txt), or a component nothing starts. The journeys note every
page they check (e2e/asset_coverage.py); tests/test_assets.py checks the checker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from app.assets import STATIC_DIR
from app.settings import PROJECT_ROOT

UNUSED_SELECTORS = PROJECT_ROOT / "assets" / "unused-selectors.txt"
# Components the portal's own script handles instead of GOV.UK Frontend's: their script marks
# radio inputs with aria-expanded, which ARIA does not allow (conditional-reveal.js instead).
HANDLED_BY_THE_PORTAL = frozenset({"govuk-radios", "govuk-checkboxes"})
CLASS_IN_SELECTOR = re.compile(r"\.((?:[A-Za-z0-9_-]|\\.)+)")


class _Attributes(HTMLParser):
    """The classes and data-modules of a document's elements."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: set[str] = set()
        self.modules: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "class" and value:
                self.classes.update(value.split())
            elif name == "data-module" and value:
                self.modules.update(value.split())


@dataclass
class Uses:
    """What each page (by its path) was seen to use."""

    classes: dict[str, set[str]] = field(default_factory=dict)
    modules: dict[str, set[str]] = field(default_factory=dict)

    def add(self, path: str, document: str) -> None:
        found = _Attributes()
        found.feed(document)
        self.classes.setdefault(path, set()).update(found.classes)
        self.modules.setdefault(path, set()).update(found.modules)


def unused_selectors() -> list[tuple[str, frozenset[str]]]:
    """Each selector the build left out, with the classes it needs."""
    selectors = []
    for line in UNUSED_SELECTORS.read_text().splitlines():
        classes = frozenset(name.replace("\\", "") for name in CLASS_IN_SELECTOR.findall(line))
        if classes:
            selectors.append((line, classes))
    return selectors


def started_modules() -> set[str]:
    script = (STATIC_DIR / "js" / "portal.js").read_text()
    return set(re.findall(r'moduleName="([a-z-]+)"', script))


def problems(seen: Uses) -> list[str]:
    """Each page that uses a class whose rules were left out, or a component nothing starts."""
    found = []
    left_out = unused_selectors()
    for path, classes in sorted(seen.classes.items()):
        for selector, needs in left_out:
            if needs <= classes:
                found.append(f"{path}: uses {selector}, which make assets left out")
    started = started_modules() | HANDLED_BY_THE_PORTAL
    for path, modules in sorted(seen.modules.items()):
        for module in sorted(modules - started):
            found.append(f"{path}: data-module={module} is started by nothing")
    return found
