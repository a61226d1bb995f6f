"""The web page in Debian's headless Firefox ESR, driven through Marionette.

Debian packages Firefox but not geckodriver (the WebDriver bridge selenium would need), so
the browser is driven by Mozilla's own client of Firefox's built-in remote protocol,
``marionette_driver``. The flow is the office's daily one, shorter than the Chromium run
(test_browser.py, which also covers downloads, the report tab and retraining): choose an
.xlsx → progress → results → filter → correct two rows in Review with the keyboard → one
comment, including a hostile one. Screenshots go to tests/web/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from .conftest import HOSTILE, SHOTS, TOWNS, fresh_records, wait_for, write_sheet

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox") or "/usr/bin/firefox-esr"

# Skipped on a developer's machine without the browser; never in CI, which installs it.
pytestmark = pytest.mark.skipif(
    not os.path.exists(FIREFOX) and not os.environ.get("CI"),
    reason="Debian's firefox-esr is not installed (.ci/run installs it)",
)


class Page:
    """The few things the tests do to a page, over a Marionette session."""

    def __init__(self, session) -> None:
        self.m = session

    def get(self, url: str) -> None:
        self.m.navigate(url)

    @property
    def url(self) -> str:
        return self.m.get_url()

    def css(self, selector: str):
        from marionette_driver.by import By

        return self.m.find_element(By.CSS_SELECTOR, selector)

    def csss(self, selector: str) -> list:
        from marionette_driver.by import By

        return self.m.find_elements(By.CSS_SELECTOR, selector)

    def script(self, source: str, *args):
        return self.m.execute_script(source, script_args=list(args))

    def keys(self, *keys: str) -> None:
        """Key presses sent to the page itself (no field focused), as a person types them."""
        for key in keys:
            self.m.actions.sequence("key", "keyboard").key_down(key).key_up(key).perform()

    def no_alert(self) -> bool:
        from marionette_driver.errors import NoAlertPresentException
        from marionette_driver.marionette import Alert

        try:
            _ = Alert(self.m).text
        except NoAlertPresentException:
            return True
        return False

    def shot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / f"firefox-{name}.png").write_bytes(self.m.screenshot(format="binary"))


@pytest.fixture
def firefox(tmp_path):
    from marionette_driver.marionette import Marionette

    profile = tmp_path / "firefox-profile"
    profile.mkdir()
    # port 0: Firefox picks a free one and writes it to MarionetteActivePort
    (profile / "user.js").write_text(
        'user_pref("marionette.port", 0);\n'
        'user_pref("intl.accept_languages", "zh-CN");\n'
        'user_pref("browser.shell.checkDefaultBrowser", false);\n'
        'user_pref("datareporting.policy.dataSubmissionEnabled", false);\n',
        encoding="utf-8",
    )
    env = {**os.environ, "MOZ_HEADLESS_WIDTH": "1366", "MOZ_HEADLESS_HEIGHT": "768"}
    process = subprocess.Popen(
        [FIREFOX, "--headless", "--marionette", "--no-remote", "--profile", str(profile)],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "firefox.log", "w"),  # noqa: SIM115 - closed with the process
        env=env,
    )
    try:
        port_file = profile / "MarionetteActivePort"
        port = int(wait_for(lambda: port_file.read_text().strip(), timeout=60))
        session = Marionette(host="127.0.0.1", port=port)
        session.start_session()
        session.set_window_rect(width=1366, height=768)
        page = Page(session)
        yield page
        try:
            page.shot("last")
        finally:
            session.delete_session()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_classify_filter_review_and_one_comment_in_firefox(server, firefox, tmp_path):
    d = firefox
    texts = [r["text"] for r in fresh_records()]
    texts[3] = HOSTILE
    texts = texts * 20  # a few hundred rows
    sheet = write_sheet(tmp_path / "城关分局意见汇总.xlsx", texts)

    # 1. choose the file; the text column is found as the CLI finds it
    d.get(server + "/classify")
    file_input = d.css("#file")
    d.script("arguments[0].hidden = false", file_input)
    file_input.send_keys(str(sheet))
    wait_for(lambda: d.css("#start").is_displayed())
    chosen = d.script(
        "const s = arguments[0]; return s.options[s.selectedIndex].text", d.css("#text_column")
    )
    assert chosen == "意见内容"
    assert "<script>" in d.css("#preview").text  # shown as text
    d.shot("1-upload-columns")
    d.css("#start-button").click()

    # 2. progress, then the results (the page reloads itself when the job is done)
    wait_for(lambda: d.csss("#results"))
    assert f"共 {len(texts)} 行" in d.css("#summary").text
    d.shot("2-results")
    job_url = d.url.split("?")[0]

    # 3. filter by topic and by a column of the input
    d.css('#f-topic option[value="traffic"]').click()
    d.css("#f-apply").click()
    wait_for(lambda: "topic=traffic" in d.url)

    def cells(index: int) -> set[str]:
        return {
            tr.find_elements("css selector", "td")[index].text for tr in d.csss("#results tbody tr")
        }

    assert wait_for(lambda: cells(2)) == {"交通管理"}
    column = d.css("#f-column")
    option = [o for o in column.find_elements("css selector", "option") if o.text == "乡镇"][0]
    option.click()
    d.css("#f-value").send_keys(TOWNS[0])
    d.css("#f-apply").click()
    wait_for(lambda: "column=" in d.url)
    assert wait_for(lambda: cells(-1)) == {TOWNS[0]}
    d.shot("3-filtered")

    # 4. review: correct two rows with the keyboard only
    d.get(job_url)
    d.css("#go-review").click()
    wait_for(lambda: d.csss("#review"))
    d.shot("4-review")
    corrected = {}
    for topic_key, stance_key, topic, stance in (
        ("2", "c", "serving_economy", "criticism"),
        ("5", "s", "traffic", "suggestion"),
    ):
        n = d.css("#review").get_attribute("data-n")
        d.keys(topic_key, stance_key)
        wait_for(lambda: d.css("#saved").is_displayed())
        assert "on" in d.css(f'.choice[data-label="{topic}"]').get_attribute("class")
        d.keys("\ue007")  # Enter
        wait_for(lambda n=n: d.css("#review").get_attribute("data-n") != n)
        corrected[int(n)] = (topic, stance)
    d.keys("\ue012")  # Arrow left: back to the second one, which is saved
    wait_for(lambda: int(d.css("#review").get_attribute("data-n")) in corrected)
    assert d.css("#saved").is_displayed()
    d.shot("5-review-saved")
    d.get(job_url)
    assert f"已人工复核 {len(corrected)} 行" in d.css("#summary").text

    # 5. one comment, then a hostile one that must show as text
    d.get(server + "/one")
    d.css("#one-text").send_keys("晚上小区里经常有人偷电动车，希望加强巡逻")
    d.css("#one-submit").click()
    wait_for(lambda: d.csss("#answer"))
    assert d.css("#ans-topic").text == "治安管理"
    assert d.csss("#comment mark")
    d.shot("6-one-comment")
    box = d.css("#one-text")
    box.clear()
    box.send_keys(HOSTILE)
    d.css("#one-submit").click()
    wait_for(lambda: "<script>" in d.css("#comment").text)
    assert d.no_alert()  # the <script> did not run
    time.sleep(0.2)
    d.shot("7-one-comment-hostile")
