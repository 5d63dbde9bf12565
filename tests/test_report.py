"""report.html: self-contained, and rendered for real in headless Chromium.

The browser test's screenshot goes to the test's temporary folder, or to
``$SEQCAST_ARTIFACTS_DIR`` when that is set (to look at it afterwards)."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli as run
from selenium import webdriver

from seqcast.report import write_report

PNG = base64.b64decode(  # a 1x1 picture
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_report_embeds_tables_and_images(tmp_path: Path) -> None:
    picture = tmp_path / "one.png"
    picture.write_bytes(PNG)
    board = pd.DataFrame({"model": ["naive", "<b>x</b>"], "mae": [1.5, 1234.5]})
    path = tmp_path / "report.html"
    write_report(path, "A & B", {"origins": 3}, {"Leaderboard": board, "one dot": picture})
    text = path.read_text()
    assert "<title>A &amp; B</title>" in text
    assert re.search(r'<table [^>]*id="leaderboard"', text)
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text  # names are escaped
    assert "1,234.5" in text and "<dd>3</dd>" in text
    (encoded,) = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert base64.b64decode(encoded) == PNG
    assert "http" not in text.replace("http-equiv", "")  # nothing to fetch: readable offline


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def test_benchmark_report_renders_in_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium and chromedriver (.ci/run installs them)")
        pytest.skip("chromium or chromedriver not installed")
    out = tmp_path / "bench"
    models = ["naive", "seasonal_naive", "drift", "mean"]
    code, stdout, _ = run(["benchmark", "--models", ",".join(models), "--out", str(out)], capsys)
    assert code == 0, stdout
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2400",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(found[1]))
    try:
        browser.get((out / "report.html").as_uri())
        rows = browser.execute_script(
            "return [...document.querySelectorAll('#leaderboard tbody tr')]"
            ".map(r => [...r.cells].map(c => c.textContent.trim()));"
        )
        board = pd.read_csv(out / "leaderboard.csv")
        assert [row[1] for row in rows] == board["model"].tolist()  # rank, model, ...
        assert sorted(row[1] for row in rows) == sorted(models)
        assert [row[0] for row in rows] == ["1", "2", "3", "4"]
        images = browser.execute_script(
            "return [...document.images].map(i => [i.alt, i.complete, i.naturalWidth]);"
        )
        assert len(images) == 4
        for alt, complete, width in images:
            assert complete and width > 0, f"image {alt!r} did not load"
        steps = browser.execute_script(
            "return document.querySelectorAll('#mae-per-step-ahead tbody tr').length;"
        )
        assert steps == 52
        artifacts = Path(os.environ.get("SEQCAST_ARTIFACTS_DIR") or tmp_path)
        artifacts.mkdir(parents=True, exist_ok=True)
        screenshot = artifacts / "benchmark_report.png"
        assert browser.save_screenshot(str(screenshot))
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        browser.quit()
