"""Every endpoint through Flask's test client, errors included; jobs run in-process."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time

import openpyxl
import pytest

from nlp_pipeline.web import jobs, results

from .conftest import (
    HOSTILE,
    TOWNS,
    classify,
    csrf_of,
    download,
    sheet_texts,
    start,
    upload,
    write_sheet,
)

N = len(sheet_texts())


def read_xlsx(data: bytes) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("url", ["/classify", "/one", "/models", "/review"])
def test_pages_render(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "群众意见分类" in response.get_data(as_text=True)


def test_home_redirects_to_classify(client):
    assert client.get("/").headers["Location"].endswith("/classify")


def test_static_files_are_served_by_the_package(client):
    for name in ("app.css", "app.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and len(response.data) > 1000
        response.close()
    page = client.get("/classify").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


def test_upload_reads_columns_sheets_and_preview(client, sheet):
    info = upload(client, sheet).get_json()
    assert info["columns"] == ["序号", "乡镇", "意见内容"]
    assert info["text_column"] == "意见内容"
    assert info["sheets"] == ["意见汇总", "来电"]
    assert len(info["preview"]) == 5 and info["name"] == sheet.name
    other = client.get(f"/uploads/{info['id']}?sheet=来电").get_json()
    assert other["columns"] == ["来电内容", "派出所"] and other["text_column"] == "来电内容"
    missing = client.get(f"/uploads/{info['id']}?sheet=没有")
    assert missing.status_code == 400 and "error" in missing.get_json()
    assert client.get(f"/uploads/{'0' * 32}").status_code == 404


def test_upload_of_a_wrong_file_type_is_refused(client, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4")
    response = upload(client, path)
    assert response.status_code == 400
    assert "不支持的文件类型" in response.get_json()["error"]


def test_upload_of_an_undecodable_file_says_so_without_internal_paths(client, tmp_path, web_config):
    path = tmp_path / "乱码.csv"
    path.write_bytes(b"text\n" + bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 50 + b"\n")
    response = upload(client, path)
    assert response.status_code == 400
    message = response.get_json()["error"]
    assert "乱码.csv" in message and str(web_config.home) not in message
    assert list(web_config.folder("uploads").iterdir()) == []  # not kept


def test_upload_without_a_file(client):
    response = client.post(
        "/uploads", headers={"X-CSRF-Token": csrf_of(client), "Accept": "application/json"}
    )
    assert response.status_code == 400 and "没有收到文件" in response.get_json()["error"]


def test_start_with_a_missing_column_lists_the_columns(client, sheet):
    token = csrf_of(client)
    info = upload(client, sheet, token=token).get_json()
    response = client.post(
        "/jobs", data={"upload_id": info["id"], "text_column": "不存在", "csrf_token": token}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "没有名为" in page and "意见内容" in page


def test_start_without_a_recognisable_column(client, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n交警辛苦了,1\n", encoding="utf-8")
    token = csrf_of(client)
    info = upload(client, path, token=token).get_json()
    assert info["text_column"] is None
    response = client.post(
        "/jobs",
        data={"upload_id": info["id"], "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "找不到意见文本" in response.get_json()["error"]


def test_start_without_an_upload(client):
    response = client.post("/jobs", data={"upload_id": "nope", "csrf_token": csrf_of(client)})
    assert response.status_code == 400


def test_classify_job_progress_then_results(client, web_config, sheet):
    token = csrf_of(client)
    info = upload(client, sheet, token=token).get_json()
    response = client.post(
        "/jobs",
        data={"upload_id": info["id"], "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    job_id = response.get_json()["id"]
    status = client.get(f"/api/jobs/{job_id}").get_json()
    assert status["status"] == "queued"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'id="job-bar"' in page and "排队中" in page
    assert jobs.run_pending(web_config) == 1
    status = client.get(f"/api/jobs/{job_id}").get_json()
    assert status["status"] == "done" and status["done"] == status["total"] == N
    assert status["rate"] > 0
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'id="results"' in page and f"共 <strong>{N}</strong> 行" in page


def test_results_filter_search_sort_and_page(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)
    conn = sqlite3.connect(web_config.db_path)
    topics = dict(conn.execute("SELECT n, topic FROM rows WHERE job_id = ?", (job_id,)).fetchall())
    some = next(t for t in topics.values() if t)
    page = client.get(f"/jobs/{job_id}?topic={some}").get_data(as_text=True)
    expected = sum(1 for t in topics.values() if t == some)
    assert f"符合条件 {expected} 行" in page
    page = client.get(f"/jobs/{job_id}?topic=-").get_data(as_text=True)
    assert "符合条件 1 行" in page  # the "无" answer
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    for town in TOWNS:  # offered in the value box of the 乡镇 column
        assert f'<option value="{town}">' in page
    page = client.get(f"/jobs/{job_id}?column=乡镇&value={TOWNS[0]}").get_data(as_text=True)
    assert f"符合条件 {sum(1 for i in range(1, N + 1) if i % 3 == 0)} 行" in page
    page = client.get(f"/jobs/{job_id}?q=飙车").get_data(as_text=True)
    assert "符合条件 1 行" in page
    page = client.get(f"/jobs/{job_id}?q=%25").get_data(as_text=True)  # LIKE wildcards are text
    assert "符合条件 0 行" in page
    for review in ("yes", "no", "open", "reviewed"):
        assert client.get(f"/jobs/{job_id}?review={review}").status_code == 200
    page = client.get(f"/jobs/{job_id}?sort=topic_confidence&dir=desc&per_page=10&page=3")
    text = page.get_data(as_text=True)
    assert f"第 3 / {-(-N // 10)} 页" in text
    assert client.get(f"/jobs/{job_id}?sort=乡镇&page=x").status_code == 200


def test_job_errors(client):
    assert client.get(f"/api/jobs/{'0' * 32}").status_code == 404
    assert client.get(f"/api/jobs/{'0' * 32}").get_json()["error"]
    assert client.get("/jobs/not-an-id").status_code == 404
    assert client.get(f"/jobs/{'0' * 32}/review").status_code == 404


def test_review_pages_and_corrections(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)
    numbers = results.review_numbers(sqlite3.connect(web_config.db_path), job_id)
    assert numbers, "the small model flags some rows"
    page = client.get(f"/jobs/{job_id}/review").get_data(as_text=True)
    assert 'id="review"' in page and "<kbd>1</kbd>" in page and 'class="m-' in page
    assert client.get(f"/jobs/{job_id}/review?i=999").status_code == 200
    table = client.get(f"/jobs/{job_id}/review?view=table").get_data(as_text=True)
    assert 'id="review-table"' in table
    token = csrf_of(client)
    url = f"/api/jobs/{job_id}/rows/{numbers[0]}/label"
    ok = client.post(
        url, json={"topic": "traffic", "stance": "inquiry"}, headers={"X-CSRF-Token": token}
    )
    assert ok.status_code == 200 and ok.get_json() == {
        "n": numbers[0],
        "topic": "traffic",
        "stance": "inquiry",
        "saved": True,
    }
    bad = client.post(
        url, json={"topic": "trafic", "stance": "inquiry"}, headers={"X-CSRF-Token": token}
    )
    assert bad.status_code == 400 and "未知的标签" in bad.get_json()["error"]
    empty = client.post(url, json={}, headers={"X-CSRF-Token": token})
    assert empty.status_code == 400
    missing = client.post(
        f"/api/jobs/{job_id}/rows/9999/label",
        json={"topic": "traffic", "stance": "inquiry"},
        headers={"X-CSRF-Token": token},
    )
    assert missing.status_code == 404
    page = client.get(f"/jobs/{job_id}?review=reviewed").get_data(as_text=True)
    assert "符合条件 1 行" in page


def test_downloads_carry_the_corrections(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)
    token = csrf_of(client)
    client.post(
        f"/api/jobs/{job_id}/rows/2/label",
        json={"topic": "traffic", "stance": "inquiry"},
        headers={"X-CSRF-Token": token},
    )
    response = download(client, web_config, f"/jobs/{job_id}/files/classified.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = read_xlsx(response.data)
    assert len(rows) == N
    assert rows[1]["topic"] == "traffic" and rows[1]["stance"] == "inquiry"
    assert rows[1]["reviewed"] in ("corrected", "confirmed") and rows[0]["reviewed"] is None
    csv = download(client, web_config, f"/jobs/{job_id}/files/classified.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "traffic" in csv.data.decode("utf-8-sig")
    labels = download(client, web_config, f"/jobs/{job_id}/files/labels.xlsx")
    assert [r["topic"] for r in read_xlsx(labels.data)] == ["traffic"]
    # a new correction makes a new export, the old one is not served
    client.post(
        f"/api/jobs/{job_id}/rows/2/label",
        json={"topic": "team_building", "stance": "praise"},
        headers={"X-CSRF-Token": token},
    )
    again = download(client, web_config, f"/jobs/{job_id}/files/classified.xlsx")
    assert read_xlsx(again.data)[1]["topic"] == "team_building"


def test_report_downloads(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)
    html = download(client, web_config, f"/jobs/{job_id}/files/report.html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert not html.headers["Content-Disposition"].startswith("attachment")  # opens in a tab
    assert "意见汇总 群众意见分类报告" in html.get_data(as_text=True)
    assert re.search("模型版本[:：]small", html.get_data(as_text=True))
    for kind in ("report.md", "report.xlsx"):
        response = download(client, web_config, f"/jobs/{job_id}/files/{kind}")
        assert response.headers["Content-Disposition"].startswith("attachment"), kind
    grouped = download(client, web_config, f"/jobs/{job_id}/files/report.md?by=乡镇")
    assert TOWNS[0] in grouped.get_data(as_text=True)
    assert client.get(f"/jobs/{job_id}/files/report.md?by=nope").status_code == 400
    assert client.get(f"/jobs/{job_id}/files/secrets.txt").status_code == 404


def test_download_before_the_job_is_done(client, web_config, sheet):
    job_id, _upload = start(client, sheet)
    assert client.get(f"/jobs/{job_id}/files/classified.xlsx").status_code == 409


def test_failed_job_shows_its_error(client, web_config, sheet):
    job_id, upload_id = start(client, sheet)
    (web_config.folder("uploads") / f"{upload_id}.xlsx").write_bytes(b"PK\x03\x04broken")
    jobs.run_pending(web_config)
    status = client.get(f"/api/jobs/{job_id}").get_json()
    assert status["status"] == "failed" and status["error"]
    assert 'id="job-error"' in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_one_comment(client):
    token = csrf_of(client)
    page = client.post(
        "/one", data={"text": "晚上小区里经常有人偷电动车，希望加强巡逻", "csrf_token": token}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="ans-topic"' in text and "人工复核" in text
    assert "前三" in text and 'class="m-' in text
    none = client.post("/one", data={"text": "无", "csrf_token": token}).get_data(as_text=True)
    assert "无实质意见" in none
    empty = client.post("/one", data={"text": "  ", "csrf_token": token})
    assert empty.status_code == 400 and "意见文本为空" in empty.get_data(as_text=True)


def test_models_page_and_switching(client, web_config):
    page = client.get("/models").get_data(as_text=True)
    assert "default" in page and "使用中" in page
    token = csrf_of(client)
    missing = client.post("/models/use", data={"version": "nope", "csrf_token": token})
    assert missing.status_code == 404
    bad = client.post("/models/use", data={"version": "../x", "csrf_token": token})
    assert bad.status_code == 400
    ok = client.post("/models/use", data={"version": "default", "csrf_token": token})
    assert ok.status_code == 303


def correct_some(client, web_config, sheet, n: int = 3) -> str:
    job_id = classify(client, web_config, sheet)
    token = csrf_of(client)
    conn = sqlite3.connect(web_config.db_path)
    rows = conn.execute(
        "SELECT n, text FROM rows WHERE job_id = ? AND topic != '' ORDER BY n", (job_id,)
    ).fetchall()
    picked = [n for n, text in rows if text != HOSTILE and "飙车" not in text][:n]
    for number in picked:
        response = client.post(
            f"/api/jobs/{job_id}/rows/{number}/label",
            json={"topic": "traffic", "stance": "suggestion"},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 200
    return job_id


def test_retrain_with_corrections_then_promote_and_roll_back(client, web_config, sheet):
    from nlp_pipeline.model.registry import current_version

    correct_some(client, web_config, sheet)
    token = csrf_of(client)
    assert '<strong id="correction-count">3</strong>' in client.get("/models").get_data(
        as_text=True
    )
    response = client.post("/models/retrain", data={"csrf_token": token})
    assert response.status_code == 303
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert "排队中" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    again = client.post("/models/retrain", data={"csrf_token": token})
    assert again.headers["Location"].endswith(job_id)  # not a second one
    jobs.run_pending(web_config)
    job = jobs.get(sqlite3.connect(web_config.db_path, factory=_rows), job_id)
    assert job["status"] == "done", job["error"]
    outcome = job["result"]
    assert outcome["n_added"] == 3 and outcome["parent"] == "default"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'id="gate"' in page and 'id="before-after"' in page
    for note in outcome["meta"]["promotion"]["notes"]:
        assert note.split(" (")[0] in page
    version = outcome["version"]
    form = {"version": version, "csrf_token": token, "back": job_id}
    if not outcome["gate_passed"]:
        refused = client.post("/models/use", data=form)
        assert refused.status_code == 409 and current_version() == "default"
        form["force"] = "1"
    assert client.post("/models/use", data=form).status_code == 303
    assert current_version() == version
    back = client.post("/models/use", data={"version": "default", "csrf_token": token})
    assert back.status_code == 303 and current_version() == "default"
    from nlp_pipeline.model.registry import switch_history

    history = [(h["version"], h["via"], h["forced"]) for h in switch_history()]
    assert history == [(version, "web", not outcome["gate_passed"]), ("default", "web", False)]
    page = client.get("/models").get_data(as_text=True)
    switches = page.split('id="switches"')[1].split("</table>")[0]
    to = re.findall(r"<td><code>([^<]*)</code></td><td>web</td>", switches)
    assert to == ["default", version]  # newest first
    assert ("强制 forced" in switches) is (not outcome["gate_passed"])


def _rows(*args, **kwargs):
    conn = sqlite3.Connection(*args, **kwargs)
    conn.row_factory = sqlite3.Row
    return conn


def test_retrain_without_corrections_fails_with_a_message(client, web_config):
    response = client.post("/models/retrain", data={"csrf_token": csrf_of(client)})
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    jobs.run_pending(web_config)
    status = client.get(f"/api/jobs/{job_id}").get_json()
    assert status["status"] == "failed" and "还没有保存的更正" in status["error"]


def test_second_training_gets_the_lock_message(client, web_config, sheet, models_root):
    from nlp_pipeline.training.lock import training_lock

    correct_some(client, web_config, sheet, n=1)
    response = client.post("/models/retrain", data={"csrf_token": csrf_of(client)})
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    with training_lock(models_root):  # a training from the CLI, or another server
        jobs.run_pending(web_config)
    status = client.get(f"/api/jobs/{job_id}").get_json()
    assert status["status"] == "failed" and "另一个训练正在进行" in status["error"]
    assert "另一个训练正在进行" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_paging_stays_fast_at_100000_rows(web_config):
    from nlp_pipeline.web import db

    conn = db.connect(web_config.db_path)
    job_id = jobs.create(conn, "classify", {"upload_id": "x", "text_column": "text"})
    result = {"columns": ["text", "乡镇"], "other_columns": ["乡镇"], "rows": 100_000}
    conn.execute(
        "UPDATE jobs SET status = 'done', result = ? WHERE id = ?", (json.dumps(result), job_id)
    )
    topics = ["traffic", "public_order", "team_building", ""]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            (
                job_id,
                n,
                f"第{n}条意见 晚上有人飙车",
                topics[n % 4],
                "suggestion",
                (n % 997) / 997,
                0.9,
                n % 7 == 0,
                0,
                "",
                json.dumps({"text": "…", "乡镇": TOWNS[n % 3]}, ensure_ascii=False),
            )
            for n in range(1, 100_001)
        ),
    )
    conn.execute("COMMIT")
    job = jobs.get(conn, job_id)
    for query in (
        {},
        {"topic": "traffic", "sort": "topic_confidence", "desc": True, "page": 400},
        {"review": "yes", "column": "乡镇", "value": TOWNS[1], "page": 100},
        {"q": "99999", "sort": "乡镇"},
    ):
        started = time.perf_counter()
        rows, total = results.query_rows(conn, job, **query)
        assert time.perf_counter() - started < 1.0, query
        assert rows and total


def test_a_correction_of_a_test_split_text_stops_the_training_as_in_the_cli(
    client, web_config, tmp_path, corpus_copy
):
    frozen = json.loads((corpus_copy / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    path = write_sheet(tmp_path / "in.xlsx", [frozen["text"], "交警辛苦了"])
    job_id = classify(client, web_config, path)
    token = csrf_of(client)
    client.post(
        f"/api/jobs/{job_id}/rows/1/label",
        json={"topic": frozen["topic"], "stance": frozen["stance"]},
        headers={"X-CSRF-Token": token},
    )
    response = client.post("/models/retrain", data={"csrf_token": token})
    train_id = response.headers["Location"].rsplit("/", 1)[-1]
    jobs.run_pending(web_config)
    status = client.get(f"/api/jobs/{train_id}").get_json()
    assert status["status"] == "failed" and "冻结的测试集" in status["error"]
    assert "人工更正" in status["error"] and str(web_config.home) not in status["error"]
    page = client.get(f"/jobs/{train_id}").get_data(as_text=True)
    assert f"/jobs/{train_id}/labels.xlsx" in page
    labels = client.get(f"/jobs/{train_id}/labels.xlsx")
    assert labels.headers["Content-Disposition"].startswith("attachment")
    assert read_xlsx(labels.data)[0]["text"] == frozen["text"]
    assert client.get(f"/jobs/{job_id}/labels.xlsx").status_code == 404


def test_a_bureau_sheet_with_title_rows_is_read_as_the_cli_reads_it(client, web_config):
    from tests.conftest import DATA

    expected = json.loads((DATA / "bureau_expected.json").read_text(encoding="utf-8"))
    expected = expected["bureau_title_rows.xlsx"]
    info = upload(client, DATA / "bureau_title_rows.xlsx").get_json()
    assert info["columns"] == expected["columns"] and info["text_column"] == "意见内容"
    job_id = classify(client, web_config, DATA / "bureau_title_rows.xlsx")
    assert client.get(f"/api/jobs/{job_id}").get_json()["done"] == len(expected["rows"])
    # the download is laid out as the CLI's: dates as the input showed them, percentages
    data = download(client, web_config, f"/jobs/{job_id}/files/classified.xlsx").data
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    day = ws.cell(2, header.index("走访日期") + 1)
    assert day.is_date and day.number_format == 'yyyy"年"m"月"d"日"'
    assert ws.cell(2, header.index("topic_confidence") + 1).number_format == "0%"
    assert ws.freeze_panes == "A2"


def test_the_report_counts_the_corrected_labels(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)

    def inquiry_count() -> int:
        md = download(client, web_config, f"/jobs/{job_id}/files/report.md").get_data(as_text=True)
        line = next(line for line in md.splitlines() if line.startswith("| 咨询"))
        return int(line.split("|")[2].strip().replace(",", ""))

    before = inquiry_count()
    token = csrf_of(client)
    conn = sqlite3.connect(web_config.db_path)
    numbers = [
        n
        for (n,) in conn.execute(
            "SELECT n FROM rows WHERE job_id = ? AND stance NOT IN ('inquiry', '') LIMIT 2",
            (job_id,),
        )
    ]
    for n in numbers:
        client.post(
            f"/api/jobs/{job_id}/rows/{n}/label",
            json={"topic": "traffic", "stance": "inquiry"},
            headers={"X-CSRF-Token": token},
        )
    assert inquiry_count() == before + 2


def test_a_date_right_of_the_header_does_not_break_the_download(client, web_config, tmp_path):
    """A stray date beyond the header's columns makes that row an error row (as in the CLI);
    the classified .xlsx still downloads, and a text that looks like a date stays text."""
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日期", "意见内容"])
    ws.append([dt.datetime(2026, 7, 1, 14, 30), "晚上小区里经常有人偷电动车"])
    ws.append(["20260701", "交警在路口指挥交通很辛苦"])
    ws.append([dt.datetime(2026, 7, 3), "派出所办事效率高"])
    ws["Z4"] = dt.datetime(2026, 7, 4)
    for row in (2, 4):
        ws.cell(row, 1).number_format = "yyyy/m/d h:mm"
    path = tmp_path / "stray.xlsx"
    wb.save(path)
    job_id = classify(client, web_config, path)
    response = download(client, web_config, f"/jobs/{job_id}/files/classified.xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response.data)
    assert rows[0]["日期"] == dt.datetime(2026, 7, 1, 14, 30)
    assert rows[1]["日期"] == "20260701"  # text in the input, text in the download
    assert rows[2]["error"]  # the stray cell's row
