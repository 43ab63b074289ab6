"""The desk page in a real browser: Debian's chromium, driven through Playwright.

The verifier of ``make_desk`` runs on a loopback port (``tests.verifier.live``); the page is
used as an officer would: type the desk key, pick a regulation, start. The QR code is read
back from the rendered page (a screenshot decoded with zxing-cpp) and must hold exactly the
link shown next to it; the test wallet answers that decoded link over HTTP, and the page must
show the decision it polls for. One browser and one verifier per module keep this quick.

Without ``/usr/bin/chromium`` or the Python packages the tests skip, naming what is missing
(``.ci/run`` installs both and fails the run when these tests were skipped).
"""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.verifier.conftest import scenario
from tests.verifier.live import LiveDesk, live_desk
from tests.verifier.wallet import Tamper

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
# ENVIRONMENT.md: Playwright cannot download its own browser here; Debian's runs with these.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULT_TIMEOUT_MS = 15_000
CASE = ("zorgtoeslag", "single_income_35000")


def _missing() -> list[str]:
    missing = [] if CHROMIUM.is_file() else [f"{CHROMIUM} (apt-get install chromium)"]
    for module, package in (
        ("playwright", "playwright"),
        ("zxingcpp", "zxing-cpp"),
        ("PIL", "Pillow"),
    ):
        if importlib.util.find_spec(module) is None:
            missing.append(f"the Python package {package}")
    return missing


MISSING = _missing()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(MISSING), reason="browser tests need " + ", ".join(MISSING)),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDesk]:
    with live_desk(tmp_path_factory.mktemp("live")) as served:
        served.give(scenario(*CASE))
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage); fails the test on a script error or a
    Content-Security-Policy violation."""
    context = browser.new_context(locale="nl-NL")
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    opened.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield opened
        assert problems == []
    finally:
        context.close()


def sign_in(page: Page, live: LiveDesk) -> None:
    from playwright.sync_api import expect

    page.goto(live.page_url)
    page.get_by_label("API-sleutel van het loket").fill(live.desk.api_key)
    page.get_by_role("button", name="Sleutel gebruiken").click()
    expect(page.get_by_role("status")).to_have_text("Kies een regeling en start de aanvraag.")


def start(page: Page, regulation: str = "zorgtoeslag", *, same_device: bool = False) -> str:
    """Start a request on the page; the link it shows."""
    from playwright.sync_api import expect

    page.get_by_label("Regeling").select_option(regulation)
    if same_device:
        page.get_by_label("Op dit apparaat (link openen)").check()
    page.get_by_role("button", name="Aanvraag starten").click()
    expect(page.get_by_role("status")).to_have_text("Wachten op het antwoord van de wallet…")
    link = page.get_by_role("link", name="Aanvraag openen in de wallet op dit apparaat")
    href = link.get_attribute("href")
    assert href is not None
    assert href.startswith("openid4vp://?")
    return href


def decode_qr(page: Page) -> list[str]:
    import zxingcpp
    from PIL import Image

    image = page.get_by_role("img", name=re.compile("^QR-code met de aanvraag"))
    assert (image.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    with Image.open(io.BytesIO(image.screenshot())) as shot:
        return [found.text for found in zxingcpp.read_barcodes(shot)]


def test_eligible_decision_from_the_decoded_qr_code(live: LiveDesk, page: Page) -> None:
    from playwright.sync_api import expect

    case = scenario(*CASE)
    sign_in(page, live)
    link = start(page)
    decoded = decode_qr(page)
    assert decoded == [link]

    response = live.run(live.wallet.answer(decoded[0]))
    assert response.status_code == 200, response.text

    heading = page.locator("#result-heading")
    expect(heading).to_have_text("Besluit: Zorgtoeslag", timeout=RESULT_TIMEOUT_MS)
    expect(heading).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Besluit ontvangen: Recht")
    expect(page.locator(".outcome")).to_have_text("Recht")
    expect(page.locator(".decision-text")).to_contain_text("U hebt recht op zorgtoeslag")
    euros = f"{case.expect['amount_cents'] // 100},{case.expect['amount_cents'] % 100:02d}"
    expect(page.locator(".amount")).to_contain_text(euros)
    steps = page.locator(".trace li")
    expect(steps.first).to_contain_text("voldaan")
    legal = page.locator(".trace a").first
    assert (legal.get_attribute("href") or "").startswith("https://wetten.overheid.nl/")
    expect(legal).to_contain_text("art.")
    inputs = page.locator("table.inputs")
    expect(inputs).to_contain_text("https://belastingdienst.example")
    expect(inputs).to_contain_text("urn:nl:belastingdienst:household-income:1")
    expect(page.get_by_role("heading", name="Bezwaar")).to_be_visible()
    expect(page.locator("#result")).to_contain_text("binnen zes weken bezwaar")
    # Where each input came from, never its value (the income, in cents or in euros).
    text = page.locator("#result").inner_text()
    income = next(
        c.claims["joint_assessed_income_cents"]
        for c in case.credentials
        if "joint_assessed_income_cents" in c.claims
    )
    assert str(income) not in text
    assert f"{income // 100_000}.{income // 100 % 1000:03d}" not in text
    assert page.evaluate("sessionStorage.getItem('aanspraak.desk.transaction')") is None

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Decision: Healthcare allowance")
    expect(page.get_by_role("status")).to_have_text("Decision received: Entitled")
    expect(page.locator(".outcome")).to_have_text("Entitled")
    expect(page.locator(".decision-text")).to_contain_text("You are entitled")
    expect(page.locator(".amount")).to_contain_text(euros.replace(",", "."))
    expect(page.get_by_role("button", name="Nederlands")).to_have_attribute("lang", "nl")


def test_a_refused_answer_shows_the_reason(live: LiveDesk, page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page, live)
    link = start(page)
    response = live.run(live.wallet.answer(link, Tamper(strip_key_binding=True)))
    assert response.status_code == 400

    expect(page.locator("#result-heading")).to_have_text(
        "Aanvraag: Zorgtoeslag", timeout=RESULT_TIMEOUT_MS
    )
    expect(page.get_by_role("status")).to_have_text("Het antwoord van de wallet is geweigerd.")
    expect(page.locator(".outcome")).to_have_text("Antwoord geweigerd")
    expect(page.locator("code.reason")).to_have_text("key-binding-missing")
    expect(page.locator("table.inputs")).to_have_count(0)


def test_a_declined_request_ends_with_nothing_shared(live: LiveDesk, page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page, live)
    link = start(page)
    request = live.run(live.wallet.fetch_request(link))
    form = {"error": "access_denied", "state": request.state or ""}
    response = live.run(live.wallet.post(request, form))
    assert response.status_code == 200, response.text

    expect(page.locator("#result-heading")).to_have_text(
        "Aanvraag: Zorgtoeslag", timeout=RESULT_TIMEOUT_MS
    )
    expect(page.get_by_role("status")).to_have_text("De burger heeft niets gedeeld.")
    expect(page.locator(".outcome")).to_have_text("Niets gedeeld")
    expect(page.locator("code.reason")).to_have_text("access_denied")


def test_same_device_return_resumes_with_the_response_code(live: LiveDesk, page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page, live)
    link = start(page, same_device=True)
    response = live.run(live.wallet.answer(link))
    assert response.status_code == 200, response.text
    redirect: Any = response.json()["redirect_uri"]
    assert redirect.startswith(live.page_url + "#response_code=")
    # Without the code the result is withheld; the page says it waits for the return.
    expect(page.get_by_role("status")).to_have_text(
        re.compile("^De wallet heeft geantwoord"), timeout=RESULT_TIMEOUT_MS
    )

    page.goto("about:blank")  # the citizen was in the wallet app; the redirect reopens the page
    page.goto(redirect)
    expect(page.locator("#result-heading")).to_have_text(
        "Besluit: Zorgtoeslag", timeout=RESULT_TIMEOUT_MS
    )
    expect(page.locator(".outcome")).to_have_text("Recht")
    assert page.url == live.page_url  # the code is taken out of the address bar


def test_a_hardship_referral_says_an_officer_decides(live: LiveDesk, page: Page) -> None:
    from playwright.sync_api import expect

    wallet = live.wallet_for(
        scenario("zorgtoeslag", "debt_restructuring_sets_aside_the_asset_test")
    )
    sign_in(page, live)
    link = start(page)
    response = live.run(wallet.answer(link))
    assert response.status_code == 200, response.text

    expect(page.locator(".outcome")).to_have_text(
        "Een medewerker beslist (maatwerk)", timeout=RESULT_TIMEOUT_MS
    )
    note = page.locator(".hardship")
    expect(note).to_contain_text("hardheidsclausule")
    expect(note).to_contain_text("Een medewerker van het loket beslist over maatwerk")
    expect(page.locator(".amount")).to_have_count(0)


def _contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of an element's text against the first opaque background behind it."""
    colours: list[list[float]] = page.locator(selector).first.evaluate(
        """(node) => {
            const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
            let back = node;
            while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) {
                back = back.parentElement;
            }
            const background = back ? getComputedStyle(back).backgroundColor : 'rgb(255,255,255)';
            return [rgb(getComputedStyle(node).color), rgb(background)];
        }"""
    )

    def luminance(rgb: list[float]) -> float:
        def channel(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(colours[0]), luminance(colours[1])), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_keyboard_labels_live_region_language_and_contrast(live: LiveDesk, page: Page) -> None:
    from playwright.sync_api import expect

    page.goto(live.page_url)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    status = page.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("Vul de API-sleutel van het loket in.")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((field) => field.labels.length === 0 && !field.getAttribute('aria-label'))
            .map((field) => field.id || field.name)"""
    )
    assert unlabelled == []
    assert (
        page.evaluate("document.querySelectorAll('[style], [onclick], script:not([src])').length")
        == 0
    )

    # Keyboard only: skip link, language switch, then the key field.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("API-sleutel van het loket")).to_be_focused()
    page.keyboard.type("avk_not-a-key")
    page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile("^Deze API-sleutel wordt niet geaccepteerd"))
    expect(page.get_by_label("API-sleutel van het loket")).to_be_focused()
    page.keyboard.type(live.desk.api_key)
    page.keyboard.press("Enter")
    regulation = page.get_by_label("Regeling")
    expect(regulation).to_be_focused()
    page.keyboard.type("Zorg")
    expect(regulation).to_have_value("zorgtoeslag")
    page.keyboard.press("Tab")  # the device choice (a radio group)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Aanvraag starten")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#request-heading")).to_be_focused()
    expect(status).to_have_text("Wachten op het antwoord van de wallet…")
    qr = page.locator("#qr")
    expect(qr).to_have_attribute("alt", re.compile("^QR-code met de aanvraag"))
    expect(page.locator("#wallet-link")).to_have_attribute("href", re.compile("^openid4vp://"))

    for selector in (
        "h1",
        ".hint",
        "#status",
        "#cancel",
        "header .brand",
        "#language",
        "#wallet-link",
    ):
        if page.locator(selector).first.is_visible():
            assert _contrast(page, selector) >= 4.5, selector
    page.get_by_role("button", name="Stoppen").click()
    expect(status).to_have_text("Kies een regeling en start de aanvraag.")
    expect(page.get_by_role("button", name="Aanvraag starten")).to_be_visible()
