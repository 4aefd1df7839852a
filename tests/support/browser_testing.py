"""Headless Chromium for the browser tests: the tools check, the driver, the app under gunicorn.

Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages
(.ci/run installs them); Selenium Manager never runs. Without them a test is skipped, and
under CI=true it fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def tools_or_skip() -> None:
    """Skip (fail under CI=true) when Chromium, chromedriver or this venv's gunicorn is missing."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        missing.append("gunicorn")
    if missing:
        reason = f"browser test needs {', '.join(missing)} (apt install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def chromium(profile: Path, language: str | None = None) -> Iterator[Any]:
    """A headless Chromium driver at 1366×900, for a fixture to yield; quits afterwards.

    With `language` ('fa' or 'en') the browser's own language and Accept-Language are set, as an
    operator's browser sends them; without it Chromium's default (English) stands.
    """
    tools_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
                 f"--user-data-dir={profile}", "--window-size=1366,900"):
        options.add_argument(flag)
    if language:
        options.add_argument(f"--lang={'fa-IR' if language == 'fa' else 'en-GB'}")
        options.add_experimental_option("prefs", {"intl.accept_languages": "fa-IR,fa,en" if language == "fa"
                                                  else "en-GB,en"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.language = language
    try:
        yield driver
    finally:
        driver.quit()


def page_ready(driver, what: str, condition, timeout: float = 30.0) -> None:
    """Wait until the page has loaded and `condition()` holds, reading again whenever the page was
    replaced mid-read: a click's navigation can swap the document between finding an element and
    reading its text (a StaleElementReferenceException on a loaded CI machine, 2026-12-06), or
    the next page may not have drawn the element yet (NoSuchElementException, the same day)."""
    from conftest import wait_until
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    def settled() -> bool:
        try:
            return driver.execute_script("return document.readyState") == "complete" and bool(condition())
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    wait_until(settled, what, timeout)


def page_direction(driver, timeout: float = 30.0) -> str:
    """The page's <html dir> once it has loaded, read again when a navigation replaced the document
    between finding <html> and reading it (a StaleElementReferenceException on CI, 2026-12-06)."""
    from conftest import wait_until
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def read() -> str | None:
        try:
            if driver.execute_script("return document.readyState") != "complete":
                return None
            return driver.find_element(By.TAG_NAME, "html").get_attribute("dir") or None
        except (StaleElementReferenceException, NoSuchElementException):
            return None

    return wait_until(read, "the page's direction", timeout)


def healthy(base: str) -> bool:
    """Whether the app at `base` answers /healthz with 200."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path, cwd: Path, startup: float = 90.0) -> Iterator[str]:
    """The app under gunicorn as `make run` starts it (gunicorn.conf.py, `webhook_handler:create_app()`),
    with `env` (GUNICORN_BIND names the port); yields its base URL, stops it afterwards.

    Fails the test with the log's tail when it does not answer /healthz within `startup` seconds
    (a loaded CI machine has taken 40 s).
    """
    base = f"http://{env['GUNICORN_BIND']}"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                                    "webhook_handler:create_app()"], cwd=cwd, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + startup
            while not healthy(base):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


BROWSER_ADMIN = ("admin", "browser-admin-password")  # the operator the browser tests log in as


def seed_admin(session: Any, username: str = BROWSER_ADMIN[0], password: str = BROWSER_ADMIN[1],
               role: str = "admin") -> None:
    """Add the operator a browser test logs in as (as `flask … users create` does) to the seed's session."""
    from accounts.operators import create_operator

    create_operator(session, username, password, role)


def submit_login(driver, username: str = BROWSER_ADMIN[0], password: str = BROWSER_ADMIN[1]) -> None:
    """Fill in the login form on the current page and send it."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.stack button").click()


# --- screenshots: into test-output/, and into docs/ when the test says so (UPDATE_DOCS_SCREENSHOTS=1) ---

OUTPUT = ROOT / "test-output"
DOCS = ROOT / "docs"
SIZES = (("", 1366, 900), ("-phone", 390, 844))  # desktop, and a phone held upright


def docs_wanted() -> bool:
    """Whether this run refreshes the screenshots in docs/."""
    return os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"


def _capture(driver, file_name: str, to_docs: bool) -> None:
    import base64

    shot = base64.b64decode(driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"])
    for folder in [OUTPUT] + ([DOCS] if to_docs else []):
        folder.mkdir(exist_ok=True)
        (folder / file_name).write_bytes(shot)


def _emulate(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def viewport_shots(driver, name: str, to_docs: bool, ready=None) -> None:
    """What a screen shows at desktop and phone size: from the top of the page, or, with `ready`, the
    page opened again at each size (where it scrolls itself, as a thread does) once `ready()` holds.
    Fails when anything sticks out of a card on a phone (`sticking_out`)."""
    _nothing_sticks_out(driver, name)
    for suffix, width, height in SIZES:
        _emulate(driver, width, height)
        if ready is None:
            driver.execute_script("window.scrollTo(0, 0)")
        else:
            driver.get(driver.current_url)
            page_ready(driver, f"{name} at {width} px", ready)
        _capture(driver, f"{name}{suffix}.png", to_docs)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def page_shot(driver, file_name: str, width: int, height: int = 900, *, to_docs: bool | None = None,
              no_overflow: bool = False) -> None:
    """The whole page at `width` CSS pixels. The viewport is made as tall as the page and captured as
    it is: a clipped capture beyond the viewport lands off-page in a right-to-left document
    (Chromium 2026-12). `no_overflow` fails the test when the page is wider than the screen."""
    _emulate(driver, width, height)
    _emulate(driver, width, max(height, driver.execute_script("return document.documentElement.scrollHeight")))
    if no_overflow:
        overflow = driver.execute_script("return document.documentElement.scrollWidth") - width
        assert overflow <= 0, f"{file_name} is {overflow} px wider than a {width} px screen"
    _capture(driver, file_name, docs_wanted() if to_docs is None else to_docs)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def sticking_out(driver, container: str, width: int = 390, height: int = 844) -> list[str]:
    """At `width` CSS pixels, the text of every element inside an element matching `container` drawn past its
    left or right edge (a pill running out of its card; a scrolling box's content aside): nothing, on a tidy page."""
    _emulate(driver, width, height)
    found = driver.execute_script("""
        const found = [];
        for (const card of document.querySelectorAll(arguments[0])) {
            const box = card.getBoundingClientRect();
            for (const element of card.querySelectorAll('*')) {
                const edge = element.getBoundingClientRect();
                let clipped = false;  // inside a scrolling box (a wide table's wrapper) nothing sticks out
                for (let up = element.parentElement; up && up !== card; up = up.parentElement) {
                    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(up).overflowX)) {
                        clipped = true;
                        break;
                    }
                }
                if (!clipped && edge.width > 0 && (edge.right > box.right + 0.5 || edge.left < box.left - 0.5)) {
                    found.push(element.textContent.trim().slice(0, 80));
                }
            }
        }
        return found;""", container)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return found


def _nothing_sticks_out(driver, name: str, settle_seconds: float = 3.0) -> None:
    """Fail when something sticks out of a card on a phone and still does after `settle_seconds` (a bubble's
    arrival animation or a late font moves things for a moment; only what stays out is a defect)."""
    deadline = time.monotonic() + settle_seconds
    found = sticking_out(driver, ".card")
    while found and time.monotonic() < deadline:
        time.sleep(0.25)
        found = sticking_out(driver, ".card")
    assert found == [], f"{name}: on a phone, {found[:3]} stick out of their card"


def both_widths(driver, stem: str, *, no_overflow: bool = False) -> None:
    """`page_shot` at desktop and phone width: `stem`.png and `stem`-phone.png; fails when anything sticks out
    of a card on a phone (`sticking_out`)."""
    _nothing_sticks_out(driver, stem)
    for suffix, width, height in SIZES:
        page_shot(driver, f"{stem}{suffix}.png", width, height, no_overflow=no_overflow)


BROWSER_ADMIN_TOKEN = "browser-admin-token-0123456789abcdef"  # the JSON API's token in browser tests


def app_env(database_url: str, fake_graph: Any = None, **settings: str) -> dict[str, str]:
    """The environment of a browser test's gunicorn: development settings of its own on `database_url`,
    bound to a free port, two workers, sending to `fake_graph` (or a dry run without it); `settings` on top."""
    from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, free_port

    env = {**os.environ, "SQLALCHEMY_DATABASE_URL": database_url, "ADMIN_API_TOKEN": BROWSER_ADMIN_TOKEN,
           "FLASK_SECRET_KEY": "browser-test-secret-key", "WHATSAPP_APP_SECRET": "browser-app-secret",
           "WHATSAPP_VERIFY_TOKEN": "browser-verify-token", "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
           "WEB_CONCURRENCY": "2", "TIMEZONE": "Asia/Tehran", "APP_ENV": "development"}
    if fake_graph is not None:
        env |= {"WHATSAPP_API_TOKEN": GRAPH_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
                "WHATSAPP_API_BASE_URL": fake_graph.url}
    else:
        env.pop("WHATSAPP_API_TOKEN", None)
    return env | settings
