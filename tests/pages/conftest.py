"""Real data for the page tests: the `tiny` scenario rehearsed through the Dagster assets (pages
included), the same messages replayed under the Eduarte policy, and a headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class Rehearsed:
    folder: Path

    def json(self, name: str) -> dict:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))

    @property
    def pages(self) -> Path:
        return self.folder / "pages"


@pytest.fixture(scope="session")
def rehearsed(tmp_path_factory: pytest.TempPathFactory) -> Rehearsed:
    """`tiny` materialised through every rehearsal asset (the same path as `oke rehearse`)."""
    from assets.rehearsal import run_rehearsal

    folder = tmp_path_factory.mktemp("pages-tiny") / "tiny"
    outcome = run_rehearsal("tiny", folder)
    assert outcome.error is None, f"rehearsal failed at {outcome.failed_stage}: {outcome.error}"
    return Rehearsed(folder)


@dataclass
class Replayed:
    folder: Path
    store: object
    policy: object
    until: date


@pytest.fixture(scope="session")
def eduarte(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    """The tiny year replayed under the Eduarte policy (students are notified), straight on the core."""
    from oke_core.policy import load_policy
    from oke_core.replay import replay
    from oke_core.store import Store
    from oke_sim.simulation import simulate

    folder = tmp_path_factory.mktemp("pages-eduarte") / "tiny"
    done = simulate("tiny", out_dir=folder)
    until = date.fromisoformat(done.simulated_until)
    policy = load_policy("eduarte")
    store = Store.open(f"sqlite:///{folder / 'krs.sqlite'}")
    replay(store, folder, policy, until=until)
    yield Replayed(folder, store, policy, until)
    store.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run scripts/system-deps.sh (Debian chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Opened:
    page: object
    console: list[str]


@pytest.fixture()
def open_page(browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Open a local HTML file as a person would; collect console errors and failed requests."""
    contexts = []

    def _open(path: Path, width: int = 1200) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.on(
            "request",
            lambda r: (
                problems.append(f"network request: {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        return Opened(page, problems)

    yield _open
    for c in contexts:
        c.close()


@pytest.fixture()
def screenshot(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Full-page PNG in the test folder; with OKE_UPDATE_SCREENSHOTS=1 also refresh docs/img/."""
    import os

    def _shot(opened: Opened, name: str, docs: bool = True) -> Path:
        path = tmp_path / f"{name}.png"
        opened.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        assert path.stat().st_size > 10_000
        if docs and os.environ.get("OKE_UPDATE_SCREENSHOTS") == "1":
            docs = Path(__file__).resolve().parents[2] / "docs" / "img"
            docs.mkdir(parents=True, exist_ok=True)
            (docs / f"{name}.png").write_bytes(path.read_bytes())
        return path

    return _shot
