"""The web page in a real headless Chromium (Debian's chromium + chromium-driver, driven
through chromedriver by selenium): the 2FA flow with JavaScript off, a snapshot taken
and shown, a clip of the archive that plays."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.bridge_env import AnyBroker
from tests.http_support import FIRST_CAMERA, http_bridge
from tests.sim_fixtures import CODE

BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVERS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
WAIT = 60.0


def _first(candidates: tuple[str, ...], name: str) -> str | None:
    found = next((path for path in candidates if Path(path).is_file()), None)
    return found or shutil.which(name)


def browser(javascript: bool = True) -> WebDriver:
    """Headless Chromium; a clear failure (never a skip) when it is not installed."""
    binary, driver = _first(BROWSERS, "chromium"), _first(DRIVERS, "chromedriver")
    if binary is None or driver is None:
        pytest.fail(
            "Chromium and chromedriver are needed for the page tests: "
            "apt-get install -y chromium chromium-driver (.ci/run installs them)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
    ):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(options=options, service=DriverService(driver))


@pytest.fixture
def chromium() -> Iterator[Callable[..., WebDriver]]:
    opened: list[WebDriver] = []

    def open_one(javascript: bool = True) -> WebDriver:
        opened.append(browser(javascript))
        return opened[-1]

    yield open_one
    for driver in opened:
        driver.quit()


def until(driver: WebDriver, check: Callable[[WebDriver], Any], what: str) -> Any:
    return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(check, message=what)


def auth_state(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "auth-state").get_attribute("data-state"))


def note_text(driver: WebDriver) -> str:
    """The form result shown on the page now ("" while there is none: e.g. the browser
    has not left the page the form was sent from)."""
    notes = driver.find_elements(By.ID, "note")
    try:
        return notes[0].text if notes else ""
    except StaleElementReferenceException:  # the page changed meanwhile: ask again
        return ""


def reloaded_state(driver: WebDriver) -> str:
    """Without JavaScript the page changes only when loaded again."""
    driver.refresh()
    return auth_state(driver)


async def test_the_2fa_form_logs_in_without_javascript(
    broker: AnyBroker, base_topic: str, tmp_path: Path, chromium: Callable[..., WebDriver]
) -> None:
    async with http_bridge(broker, base_topic, tmp_path, auto_2fa=False, wait_ready=False) as web:
        await web.env.wait_auth("2fa_required")

        def flow() -> None:
            driver = chromium(javascript=False)
            driver.get(web.url + "/")
            script = driver.find_element(By.TAG_NAME, "html").get_attribute("data-script")
            assert script is None  # page.js did not run: JavaScript really is off
            assert auth_state(driver) == "2fa_required"
            driver.find_element(By.ID, "code").send_keys("000000")
            driver.find_element(By.CSS_SELECTOR, "#twofa button").click()
            note = until(driver, lambda d: note_text(d).startswith("2fa failed"), "refused")
            assert auth_state(driver) == "2fa_required", note
            driver.find_element(By.ID, "code").send_keys(CODE)
            driver.find_element(By.CSS_SELECTOR, "#twofa button").click()
            until(driver, lambda d: note_text(d) == "2FA code accepted", "the code accepted")
            until(driver, lambda d: reloaded_state(d) == "ok", "logged in after the code")
            assert not driver.find_elements(By.ID, "twofa")

        await asyncio.to_thread(flow)
        await web.env.wait_auth("ok")


async def test_a_snapshot_is_shown_and_a_clip_plays(
    broker: AnyBroker, base_topic: str, tmp_path: Path, chromium: Callable[..., WebDriver]
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        clips = await web.clips()
        assert any(path.startswith(f"media/{FIRST_CAMERA}/") for path in clips)

        def flow() -> None:
            driver = chromium()
            driver.get(web.url + "/")
            row = driver.find_element(By.CSS_SELECTOR, "#download-list tr.finished")
            assert "download-since" in row.text  # the download done over MQTT, with progress
            done = row.find_element(By.TAG_NAME, "progress")
            assert done.get_attribute("value") == done.get_attribute("max") == str(len(clips))
            card = f'article[data-camera="{FIRST_CAMERA}"]'
            driver.find_element(By.CSS_SELECTOR, f"{card} button").click()
            until(driver, lambda d: note_text(d) == "New snapshot taken", "the snapshot's result")
            image = driver.find_element(By.CSS_SELECTOR, f"{card} img.snapshot")
            until(
                driver,
                lambda d: d.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth", image
                ),
                "the snapshot decoded",
            )
            driver.get(f"{web.url}/?camera={quote(FIRST_CAMERA)}")
            video = driver.find_element(By.CSS_SELECTOR, "video.clip")
            driver.execute_script("arguments[0].muted = true; arguments[0].play();", video)
            until(
                driver,
                lambda d: d.execute_script("return arguments[0].readyState", video) >= 2,
                "the clip loaded (readyState HAVE_CURRENT_DATA)",
            )
            until(
                driver,
                lambda d: d.execute_script("return arguments[0].currentTime", video) > 0.2,
                "the clip played (currentTime advancing)",
            )
            logs = driver.get_log("browser")  # type: ignore[attr-defined]  # Chrome only
            errors = [e for e in logs if e["level"] == "SEVERE"]
            assert not errors, errors

        await asyncio.to_thread(flow)
