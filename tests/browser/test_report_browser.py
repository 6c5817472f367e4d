"""The HTML reports in a real browser: headless Chromium through selenium.

A study's, a sweep's and a sensitivity analysis' pages must each open from
disk with no network: every chart decoded, nothing requested but the page
itself and its data: URIs, the content security policy in force, no console
error. Screenshots are kept as test artifacts (``test-artifacts/report.png``,
``report-sweep.png``, ``report-sensitivity.png``).
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import simulator
from simulator import charts
from simulator.config.scenario import Scenario
from simulator.experiments.sensitivity import load_sensitivity
from simulator.experiments.store import atomic_path
from simulator.experiments.sweep import load_sweep
from simulator.report import write_any_report
from simulator.report.page import CSP
from simulator.report.study import write_report
from simulator.report.sweep import sweep_charts

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
"""What Chromium's executable is called on PATH (Debian names it chromium, Ubuntu
and Fedora chromium-browser)."""
CHROMEDRIVER_NAMES = ("chromedriver",)
INSTALL = "install with: apt-get install chromium chromium-driver"

pytestmark = pytest.mark.browser


def _on_path(names: tuple[str, ...]) -> str | None:
    """The first of ``names`` found on PATH, as a full path, else None."""
    return next((found for name in names if (found := shutil.which(name))), None)


def _require_browser() -> tuple[str, str]:
    """Chromium's and chromedriver's paths, found on PATH; skip the test without them."""
    chromium, chromedriver = _on_path(CHROMIUM_NAMES), _on_path(CHROMEDRIVER_NAMES)
    if chromium is None or chromedriver is None:
        missing = [
            " or ".join(names)
            for names, found in ((CHROMIUM_NAMES, chromium), (CHROMEDRIVER_NAMES, chromedriver))
            if found is None
        ]
        pytest.skip(f"{' and '.join(missing)} not found on PATH; {INSTALL}")
    return chromium, chromedriver


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with the performance (network) and browser (console) logs."""
    chromium, chromedriver = _require_browser()
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1024",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=chromedriver, log_output=str(tmp_path / "driver.log"))
    browser = webdriver.Chrome(service=service, options=options)
    try:
        yield browser
    finally:
        browser.quit()


def _full_page_png(driver: Any) -> bytes:
    """A screenshot of the whole page, not only the window (Chrome DevTools)."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            },
        },
    )
    return base64.b64decode(shot["data"])


def _requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _open_offline(driver: Any, index: Path, slugs: list[str], shot: str, tmp_path: Path) -> None:
    """Open a report page from disk and check it: every image decoded, a figure for each
    chart slug, the content security policy in force, nothing fetched, no console error."""
    page = index.resolve().as_uri()

    # Chromium starts on its own new-tab page, which loads chrome:// resources of its
    # own: leave it, and drop what the logs hold so far, before opening the report
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(page)
    # wait (briefly) until every image has finished loading, decoded or not
    deadline = time.monotonic() + 10
    while not driver.execute_script("return Array.from(document.images).every(i => i.complete)"):
        assert time.monotonic() < deadline, "images still loading after 10 s"
        time.sleep(0.05)

    images = driver.execute_script(
        "return Array.from(document.images).map("
        "i => ({src: i.src.slice(0, 40), width: i.naturalWidth, height: i.naturalHeight}))"
    )
    assert images, "the report shows no image"
    for image in images:
        assert image["width"] > 0 and image["height"] > 0, f"not decoded: {image['src']}"

    for slug in slugs:
        found = driver.execute_script(
            "const f = document.querySelector(`figure[data-chart='${arguments[0]}']`);"
            "return f ? f.querySelectorAll('img, svg').length : 0;",
            slug,
        )
        assert found >= 1, f"no chart for {slug!r}"

    png = _full_page_png(driver)
    assert png.startswith(b"\x89PNG")
    (tmp_path / shot).write_bytes(png)
    ARTIFACTS.mkdir(exist_ok=True)
    with atomic_path(ARTIFACTS / shot) as tmp:
        shutil.copyfile(tmp_path / shot, tmp)

    urls = _requested_urls(driver)
    assert page in urls, f"the page itself was not seen in the network log: {urls}"
    foreign = [u for u in urls if u != page and not u.startswith("data:")]
    assert not foreign, f"the report fetched something: {foreign}"

    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"console errors: {severe}"

    policy = driver.execute_script(
        "const m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]');"
        "return m ? m.content : null;"
    )
    assert policy == CSP
    # the policy is in force, not only written: an image from anywhere but data: is refused
    blocked = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const seen = [];"
        "document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));"
        "const img = new Image();"
        "img.onload = () => done({loaded: true, seen});"
        "img.onerror = () => setTimeout(() => done({loaded: false, seen}), 50);"
        "img.src = 'https://example.invalid/pixel.png';"
    )
    assert blocked["loaded"] is False and "img-src" in blocked["seen"], blocked


def test_report_opens_offline_in_chromium(
    driver: Any, small_scenario: Scenario, tmp_path: Path
) -> None:
    study = simulator.run_study(small_scenario, replications=2, workers=1, out=tmp_path / "study")
    index = write_report(study, tmp_path / "study")
    _open_offline(driver, index, [spec.slug for spec in charts.CHARTS], "report.png", tmp_path)
    assert driver.title.startswith(study.scenario.name)


def test_sweep_report_opens_offline_in_chromium(
    driver: Any, tiny_sweep_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "sweep"
    shutil.copytree(tiny_sweep_dir, root)
    kind, index = write_any_report(root)
    assert kind == "sweep"
    slugs = [chart.slug for chart in sweep_charts(load_sweep(root))]
    _open_offline(driver, index, slugs, "report-sweep.png", tmp_path)
    assert driver.title.startswith("price_allowance: sweep of")
    # the frontier table is a table, not Markdown text
    rows = driver.execute_script("return document.querySelectorAll('table tbody tr').length")
    assert rows >= 2


def test_sensitivity_report_opens_offline_in_chromium(
    driver: Any, tiny_sensitivity_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "sensitivity"
    shutil.copytree(tiny_sensitivity_dir, root)
    kind, index = write_any_report(root)
    assert kind == "sensitivity"
    outputs = dict.fromkeys(o for o, _ in load_sensitivity(root).outputs)
    slugs = [f"indices_{output}" for output in outputs]
    _open_offline(driver, index, slugs, "report-sensitivity.png", tmp_path)
    assert driver.title.startswith("paid_vs_free: global sensitivity analysis")
