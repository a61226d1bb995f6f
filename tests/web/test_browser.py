"""End to end in Debian's headless Chromium (selenium + the system chromedriver).

The real `opinions serve` runs as a process of its own (waitress + worker processes) on a
free loopback port; the browser goes through the flow of issue 15: upload an .xlsx →
progress → results → filter → correct two rows in Review with the keyboard → download the
classified file and find the corrections in it → open the report → retrain with the
corrections and see the verdict. Screenshots of each page go to tests/web/screenshots/
(git-ignored), at the 1366×768 of an office PC.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time

import pytest

from .conftest import HOSTILE, SHOTS, TOWNS, fresh_records, wait_for, write_sheet

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# Skipped on a developer's machine without the browser; never in CI, which installs it.
pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)) and not os.environ.get("CI"),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1366,768",
        "--lang=zh-CN",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-', dir=tmp_path)}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    SHOTS.mkdir(exist_ok=True)
    yield driver
    try:  # what the page showed when the test ended (the last thing to look at on a failure)
        driver.save_screenshot(str(SHOTS / "last.png"))
        print("last URL:", driver.current_url)
    finally:
        driver.quit()


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def csss(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def stale(element) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    return False


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_the_whole_flow_in_chromium(server, browser, tmp_path):
    import openpyxl
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    d = browser
    texts = [r["text"] for r in fresh_records()]
    texts[3] = HOSTILE
    texts = texts * 250  # about 9,000 rows: long enough to watch the progress bar
    sheet = write_sheet(tmp_path / "城关分局意见汇总.xlsx", texts)

    # 1. classify page: choose the file, the text column is found as the CLI finds it
    d.get(server + "/classify")
    shot(d, "1-classify")
    file_input = css(d, "#file")
    d.execute_script("arguments[0].hidden = false", file_input)
    file_input.send_keys(str(sheet))
    wait_for(lambda: css(d, "#start").is_displayed())
    assert Select(css(d, "#text_column")).first_selected_option.text == "意见内容"
    assert "<script>" in css(d, "#preview").text  # shown as text
    shot(d, "2-upload-columns")
    css(d, "#start-button").click()

    # 2. progress, then results (the page reloads itself when the job is done)
    wait_for(
        lambda: re.search(r"已处理 [1-9]", css(d, "#job-text").text) or csss(d, "#results"),
        step=0.05,
    )
    if not csss(d, "#results"):
        shot(d, "3-progress")
        assert re.search(r"行/秒", css(d, "#job-text").text)
        d.refresh()  # a reload shows the same job
        assert csss(d, "#job-bar") or csss(d, "#results")
    wait_for(lambda: csss(d, "#results"))
    assert f"共 {len(texts)} 行" in css(d, "#summary").text
    shot(d, "4-results")
    job_url = d.current_url.split("?")[0]

    # 3. filter by topic: every row shown has it
    Select(css(d, "#f-topic")).select_by_value("traffic")
    css(d, "#f-apply").click()
    wait_for(lambda: "topic=traffic" in d.current_url)

    def topics() -> set[str]:
        return {
            tr.find_elements("css selector", "td")[2].text for tr in csss(d, "#results tbody tr")
        }

    assert wait_for(topics) == {"交通管理"}
    Select(css(d, "#f-column")).select_by_visible_text("乡镇")
    assert css(d, "#f-value").get_attribute("list") == "values-2"  # offers the towns
    css(d, "#f-value").send_keys(TOWNS[0])
    css(d, "#f-apply").click()
    wait_for(lambda: "column=" in d.current_url)

    def towns() -> set[str]:
        return {
            tr.find_elements("css selector", "td")[-1].text for tr in csss(d, "#results tbody tr")
        }

    assert wait_for(towns) == {TOWNS[0]}
    shot(d, "5-filtered")

    # 4. review: correct two rows with the keyboard only
    d.get(job_url)
    css(d, "#go-review").click()
    wait_for(lambda: csss(d, "#review"))
    shot(d, "6-review")
    corrected = {}
    for topic_key, stance_key, topic, stance in (
        ("2", "c", "serving_economy", "criticism"),
        ("5", "s", "traffic", "suggestion"),
    ):
        box = css(d, "#review")
        n = box.get_attribute("data-n")
        body = css(d, "body")
        body.send_keys(topic_key)
        body.send_keys(stance_key)
        wait_for(lambda: css(d, "#saved").is_displayed())
        assert "on" in css(d, f'.choice[data-label="{topic}"]').get_attribute("class")
        body.send_keys(Keys.ENTER)
        wait_for(lambda n=n: css(d, "#review").get_attribute("data-n") != n)
        corrected[int(n)] = (topic, stance)
    body = css(d, "body")
    body.send_keys(Keys.ARROW_LEFT)  # back to the second one: it is saved
    wait_for(lambda: int(css(d, "#review").get_attribute("data-n")) in corrected)
    assert css(d, "#saved").is_displayed()
    shot(d, "7-review-saved")

    # 5. download the classified file: the corrections are in it
    d.get(job_url)
    assert f"已人工复核 {len(corrected)} 行" in css(d, "#summary").text
    css(d, "#dl-xlsx").click()
    downloaded = wait_for(
        lambda: [p for p in d.downloads.glob("*.xlsx") if not p.name.endswith(".crdownload")]
    )[0]
    time.sleep(0.5)
    assert downloaded.name == "城关分局意见汇总_分类结果.xlsx"
    ws = openpyxl.load_workbook(downloaded, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    for n, (topic, stance) in corrected.items():
        row = dict(zip(header, rows[n], strict=True))
        assert (row["topic"], row["stance"]) == (topic, stance)
        assert row["reviewed"] in ("corrected", "confirmed")

    # 6. the report opens in a new tab
    d.get(job_url)
    main = d.current_window_handle
    css(d, "#report-html").click()
    wait_for(lambda: len(d.window_handles) == 2)
    d.switch_to.window([h for h in d.window_handles if h != main][0])
    wait_for(lambda: "群众意见分类报告" in d.title)
    assert no_alert(d)
    shot(d, "8-report")
    d.close()
    d.switch_to.window(main)

    # 7. retrain with the corrections and see the verdict
    d.get(server + "/models")
    assert css(d, "#correction-count").text == str(len(corrected))
    shot(d, "9-models")
    css(d, "#retrain").click()
    wait_for(lambda: csss(d, "#gate") or csss(d, "#job-error"))
    assert not csss(d, "#job-error"), css(d, "#job-error").text
    assert "质量门槛" in css(d, "#gate").text
    assert "macro-F1" in css(d, "#before-after").text
    shot(d, "10-retrain-verdict")
    new_version = css(d, "#new-version").text
    if csss(d, "#force"):
        css(d, "#force").click()
    css(d, "#promote").click()
    wait_for(lambda: css(d, "#current").text == new_version)
    css(d, "#rollback").click()
    wait_for(lambda: css(d, "#current").text == "default")
    assert no_alert(d)


def test_one_comment_in_chromium(server, browser):
    d = browser
    d.get(server + "/one")
    box = css(d, "#one-text")
    box.send_keys("晚上小区里经常有人偷电动车，希望加强巡逻")
    css(d, "#one-submit").click()
    wait_for(lambda: csss(d, "#answer"))
    assert css(d, "#ans-topic").text == "治安管理"
    assert csss(d, "#comment mark")
    shot(d, "11-one-comment")
    box = css(d, "#one-text")
    box.clear()
    box.send_keys(HOSTILE)
    old = css(d, "#answer")
    css(d, "#one-submit").click()
    wait_for(lambda: stale(old))
    wait_for(lambda: HOSTILE in css(d, "#one-text").get_attribute("value"))
    assert no_alert(d)
    assert "<script>" in css(d, "#comment").text  # shown as text, not run
    shot(d, "12-one-comment-hostile")


DROP_FILE = """
const [name, content, size] = arguments;
const bytes = size ? new Uint8Array(size) : new TextEncoder().encode(content);
const file = new File([bytes], name);
const data = new DataTransfer();
data.items.add(file);
const drop = document.getElementById("drop");
for (const type of ["dragover", "drop"]) {
  drop.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
}
"""


@pytest.mark.parametrize("server", [["--max-upload-mb", "1"]], indirect=True)
def test_drag_and_drop_and_the_upload_limit_in_chromium(server, browser):
    import http.cookiejar
    import json
    import urllib.error
    import urllib.request

    d = browser
    d.get(server + "/classify")
    d.execute_script(DROP_FILE, "热线.csv", "来电内容,派出所\n交警辛苦了,城关派出所\n", 0)
    wait_for(lambda: css(d, "#start").is_displayed())
    assert css(d, "#upload-name").text == "热线.csv"
    d.execute_script(DROP_FILE, "大文件.csv", "", 2 * 1024 * 1024)
    wait_for(lambda: css(d, "#upload-error").is_displayed())
    assert "1 MB" in css(d, "#upload-error").text and "上限" in css(d, "#upload-error").text
    shot(d, "13-upload-limit")
    # the real server (waitress) says the same to a client that does not check first
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(server + "/classify").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post(size: int) -> urllib.error.URLError:
        request = urllib.request.Request(
            server + "/uploads",
            data=b"x" * size,
            headers={
                "Content-Type": "multipart/form-data; boundary=b",
                "Accept": "application/json",
                "X-CSRF-Token": token,
            },
            method="POST",
        )
        with pytest.raises(urllib.error.URLError) as refused:
            opener.open(request)
        return refused.value

    over = post(3 * 1024 * 1024 // 2)  # the app's message
    assert over.code == 413 and "1 MB" in json.loads(over.read().decode())["error"]
    # Far over: waitress answers 413 from the headers and closes the connection without
    # reading the body, so the client sees the 413 or, still sending, a broken pipe.
    far = post(3 * 1024 * 1024)
    assert getattr(far, "code", None) == 413 or isinstance(
        far.reason, (BrokenPipeError, ConnectionResetError)
    ), far
