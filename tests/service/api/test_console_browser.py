"""The console in a real browser: Playwright drives Debian's chromium against `enmusubi serve` on loopback.

Sign in, upload the bundled Tokyo problem, watch the run finish and the map appear, select a position and
see its candidates and a pair's explanation, use the map from the keyboard, switch the language; every
request that leaves the machine is blocked and must not be attempted. Screenshots are kept in
out/screenshots/. Without chromium the tests skip (saying how to install it), except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.service.conftest import API_KEY, ServerProcess

REPO = Path(__file__).resolve().parents[3]
TOKYO = REPO / "scenarios" / "tokyo" / "problem.json"
SCREENSHOTS = REPO / "out" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_SECONDS = 300  # a guard for the Tokyo solve on a busy machine, not a speed target

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk; .ci/run does it in CI)",
        allow_module_level=True,
    )
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("console")
    started = ServerProcess(f"sqlite:///{folder / 'runs.sqlite3'}", folder / "server.log", workers="1")
    yield started
    started.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Offline:
    """Blocks every request that is not to the loopback server, and remembers what was attempted."""

    def __init__(self, context: BrowserContext) -> None:
        self.attempted: list[str] = []
        context.route("**/*", self._handle)

    def _handle(self, route: Route) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:", "file:")):
            route.continue_()
        else:
            self.attempted.append(route.request.url)
            route.abort()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_sign_in_upload_watch_the_run_explore_and_switch_language(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1360, "height": 1000})
    offline = Offline(context)
    page = context.new_page()
    page.goto(server.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", name="enmusubi コンソール")).to_be_visible()

    page.get_by_label("API キー").fill("wrong-key")
    page.get_by_role("button", name="サインイン").click()
    expect(page.locator("#announce")).to_have_text(re.compile("拒否"))
    page.get_by_label("API キー").fill(API_KEY)
    page.get_by_label("API キー").press("Enter")  # the keyboard submits the form
    expect(page.locator("#app")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('enmusubi.apiKey')") == API_KEY
    assert page.evaluate("localStorage.length") == 0

    page.evaluate(  # remember every status line the page shows while the run goes on
        """() => { window.statusLines = [];
        new MutationObserver(() => window.statusLines.push(document.getElementById('run-status').textContent))
          .observe(document.getElementById('run-status'), {childList: true, characterData: true, subtree: true}); }"""
    )
    page.get_by_label("問題ファイル").set_input_files(str(TOKYO))
    page.get_by_label("名前（任意）").fill("東京 第3回")
    page.get_by_role("button", name="アップロードして実行").click()
    expect(page.locator("#run-title")).to_contain_text("東京 第3回", timeout=30_000)
    expect(page.locator("#result")).to_be_visible(timeout=RUN_SECONDS * 1000)
    expect(page.locator("#run-status")).to_contain_text("終了：最適")
    lines = page.evaluate("window.statusLines")
    live = [line for line in lines if "秒、最良" in line or line.startswith(("待機中", "実行中"))]
    assert live, f"no progress was shown before the end: {lines}"
    expect(page.locator("#map svg g.muni")).to_have_count(62, timeout=60_000)
    expect(page.locator("#unfilled tbody tr").first).to_be_visible()
    shot(page, "console-ja-result.png")

    nakano = page.locator("#muni-13114")  # the map from the keyboard
    nakano.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#muni-detail caption")).to_contain_text("中野区 (Nakano)")

    page.locator("#unfilled tbody tr button").first.click()
    expect(page.locator("#candidates-title")).to_contain_text("推薦候補")
    rows = page.locator("#candidates tbody tr")
    expect(rows.first).not_to_contain_text("処理中", timeout=120_000)
    candidate = page.locator("#candidates tbody button").first
    if candidate.count():  # a position with eligible partners: ask why about the best one
        candidate.click()
        expect(page.locator("#rules tbody tr")).to_have_count(7, timeout=120_000)
    page.locator("#insight").scroll_into_view_if_needed()
    shot(page, "console-ja-candidates.png")

    placed = page.locator("#muni-detail tbody button").first  # a placed position: its candidates, then a pair
    placed.click()
    expect(page.locator("#candidates tbody button").first).to_be_visible(timeout=120_000)
    expect(page.locator("#shortlist li").first).to_be_visible(timeout=120_000)  # POST /v1/shortlists answers
    page.locator("#candidates tbody button").first.click()
    expect(page.locator("#rules tbody tr")).to_have_count(7, timeout=120_000)
    expect(page.locator("#explanation-summary")).to_contain_text("適格: はい")

    scenario = tmp_path / "nakano.yaml"  # a what-if on this run: its base line is replaced by the run
    scenario.write_text(
        "version: 1\nname: 中野区の予算\nbase: tokyo/problem.json\ntime_limit_seconds: 60\nvariants:\n"
        "  - name: 予算 +30%\n    changes:\n      - municipality: '13114'\n        set: {budget_yen: '*1.3'}\n",
        encoding="utf-8",
    )
    page.get_by_label("シナリオファイル").set_input_files(str(scenario))
    page.get_by_role("button", name="シナリオを実行").click()
    side_by_side = page.locator("#scenario-result table")
    expect(side_by_side.locator("thead th")).to_have_text(["項目", "基準", "予算 +30%"], timeout=RUN_SECONDS * 1000)
    expect(side_by_side.locator("tbody")).to_contain_text("budget_yen")
    side_by_side.scroll_into_view_if_needed()
    shot(page, "console-ja-scenario.png")

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="enmusubi console")).to_be_visible()
    expect(page.locator("#result")).to_be_visible(timeout=60_000)  # still signed in; the same run reopens
    expect(page.locator("#run-status")).to_contain_text("Finished: optimal")
    expect(page.locator("#map svg g.muni")).to_have_count(62, timeout=60_000)
    expect(page.locator("#unfilled thead")).to_contain_text("reason")
    shot(page, "console-en-result.png")

    page.goto(f"{server.base_url}/v1/runs/{page.evaluate('location.hash').split('=')[1]}/files/report.html")
    expect(page.locator("body")).to_contain_text("missing API key")  # a plain link carries no key: 401
    assert offline.attempted == []
    context.close()


def test_report_html_renders_offline(server: ServerProcess, browser: Browser, tmp_path: Path) -> None:
    """report.html of a finished run, opened as a file in the browser: every picture draws, nothing is fetched."""
    run = server.client.post("/v1/runs", json={"name": "report", "problem": json.loads(TOKYO.read_text())})
    run_id = run.json()["id"]
    deadline = time.monotonic() + RUN_SECONDS
    while server.client.get(f"/v1/runs/{run_id}").json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.5)
    report = tmp_path / "report.html"
    report.write_bytes(server.client.get(f"/v1/runs/{run_id}/files/report.html", params={"lang": "ja"}).content)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    offline = Offline(context)
    page = context.new_page()
    page.goto(report.as_uri())
    expect(page.locator("svg")).to_have_count(4)
    expect(page.locator("h1")).to_have_text("配置レポート")
    box = page.locator("svg").first.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 250
    shot(page, "report-html-ja.png")
    assert offline.attempted == []
    context.close()


def test_the_docs_work_offline(server: ServerProcess, browser: Browser) -> None:
    context = browser.new_context()
    offline = Offline(context)
    page = context.new_page()
    page.goto(server.base_url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("enmusubi", timeout=60_000)
    page.goto(server.base_url + "/redoc")
    expect(page.locator("h1").first).to_contain_text("enmusubi", timeout=60_000)
    assert offline.attempted == []
    context.close()
