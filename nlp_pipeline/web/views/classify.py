"""分类 Classify a file: upload, choose sheet and column, a job with progress, results, downloads."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for

from nlp_pipeline.errors import InputError
from nlp_pipeline.web import jobs, results
from nlp_pipeline.web.app import config, conn, wants_json
from nlp_pipeline.web.security import safe_filename

bp = Blueprint("classify", __name__)

TOPIC_FILTERS = {"-": "无主题（无意见/出错）"}
REVIEW_FILTERS = {
    "yes": "需复核",
    "open": "需复核且未处理",
    "reviewed": "已人工复核",
    "no": "不需复核",
}


@bp.get("/")
def home():
    return redirect(url_for("classify.classify_page"))


@bp.get("/classify")
def classify_page():
    return render_template(
        "classify.html",
        page="classify",
        recent=results.recent_jobs(conn(), "classify", 15),
        max_upload_mb=config().max_upload_mb,
    )


@bp.post("/uploads")
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        return jsonify({"error": "没有收到文件 (no file in the request)"}), 400
    try:
        info = results.save_upload(conn(), config(), file, file.filename)
    except InputError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify(info)


@bp.get("/uploads/<hexid:upload_id>")
def upload_info(upload_id: str):
    """Columns and preview of another sheet of an uploaded workbook."""
    upload = results.get_upload(conn(), upload_id) or abort(
        404, "没有这个上传文件 (no such upload)"
    )
    sheet = request.args.get("sheet") or None
    try:
        info = results.inspect_upload(
            results.upload_path(config(), upload), upload["format"], sheet
        )
    except InputError as exc:
        message = str(exc).replace(
            str(results.upload_path(config(), upload)), upload["original_name"]
        )
        return jsonify({"error": message}), 400
    return jsonify({"id": upload_id, "name": upload["original_name"], **info})


@bp.post("/jobs")
def start_job():
    """Start classifying an upload with the chosen sheet and text column."""
    from nlp_pipeline.io.readers import find_text_column, open_table

    upload_id = request.form.get("upload_id", "")
    upload = results.get_upload(conn(), upload_id) if len(upload_id) == 32 else None
    if upload is None:
        return _job_error("请先上传文件 (upload a file first)", 400)
    sheet = request.form.get("sheet") or None
    column = request.form.get("text_column") or None
    path = results.upload_path(config(), upload)
    try:
        with open_table(path, sheet=sheet, fmt=upload["format"]) as table:
            column = find_text_column(table.columns, column, path=upload["original_name"])
    except InputError as exc:
        return _job_error(str(exc).replace(str(path), upload["original_name"]), 400)
    job_id = jobs.create(
        conn(),
        "classify",
        {
            "upload_id": upload_id,
            "upload_name": upload["original_name"],
            "sheet": sheet,
            "text_column": column,
        },
    )
    if wants_json():
        return jsonify({"id": job_id, "url": url_for("classify.job_page", job_id=job_id)}), 201
    return redirect(url_for("classify.job_page", job_id=job_id), code=303)


def _job_error(message: str, code: int):
    if wants_json():
        return jsonify({"error": message}), code
    return (
        render_template(
            "classify.html",
            page="classify",
            recent=results.recent_jobs(conn(), "classify", 15),
            max_upload_mb=config().max_upload_mb,
            error=message,
        ),
        code,
    )


def _job(job_id: str) -> dict:
    return jobs.get(conn(), job_id) or abort(404, "没有这个任务 (no such job)")


@bp.get("/api/jobs/<hexid:job_id>")
def job_status(job_id: str):
    return jsonify(jobs.status(_job(job_id)))


def _int(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


@bp.get("/jobs/<hexid:job_id>")
def job_page(job_id: str):
    job = _job(job_id)
    if job["kind"] == "retrain":
        from nlp_pipeline.web.views.models import retrain_page

        return retrain_page(job)
    if job["kind"] != "classify":
        abort(404, "没有这个任务 (no such job)")
    context: dict[str, object] = {"page": "classify", "job": job, "status": jobs.status(job)}
    if job["status"] == "done":
        f = {
            k: request.args.get(k, "")
            for k in ("topic", "stance", "review", "column", "value", "q", "sort")
        }
        f["sort"] = f["sort"] or "n"
        desc = request.args.get("dir") == "desc"
        per_page = min(max(_int("per_page", results.PER_PAGE), 10), 500)
        rows, total = results.query_rows(
            conn(),
            job,
            **f,
            desc=desc,
            page=_int("page", 1),
            per_page=per_page,
        )
        pages = max(1, -(-total // per_page))
        page_no = min(max(_int("page", 1), 1), pages)
        context.update(
            rows=rows,
            total=total,
            filters=f,
            desc=desc,
            page_no=page_no,
            pages=pages,
            per_page=per_page,
            topic_filters=TOPIC_FILTERS,
            review_filters=REVIEW_FILTERS,
            corrections=results.count_corrections(conn(), job_id),
            review_count=len(results.review_numbers(conn(), job_id)),
            args={k: v for k, v in request.args.items() if k != "page"},
        )
    return render_template("job.html", **context)


@bp.get("/jobs/<hexid:job_id>/files/<kind>")
def download(job_id: str, kind: str):
    """A download, made by an export job when it is not ready (the page waits for it)."""
    job = _job(job_id)
    if kind not in results.EXPORTS:
        abort(404, "没有这种下载 (no such download)")
    if job["kind"] != "classify" or job["status"] != "done":
        abort(409, "分类任务未完成 (the classification has not finished)")
    by = request.args.get("by") or None
    if by is not None and by not in job["result"]["other_columns"]:
        abort(400, f"没有名为 {by!r} 的列 (no such column)")
    path, export_id = results.request_export(conn(), config(), job, kind, by)
    if path is None:
        export = jobs.get(conn(), export_id)
        assert export is not None  # request_export found or created it
        return render_template(
            "wait.html", page="classify", job=job, export=export, status=jobs.status(export)
        )
    suffix, what = results.EXPORTS[kind]
    stem = Path(job["result"]["upload_name"]).stem
    name = safe_filename(f"{stem}_{what}{suffix}", fallback=f"export{suffix}")
    inline = kind == "report.html"
    return send_file(
        path,
        as_attachment=not inline,
        download_name=name,
        mimetype={
            ".html": "text/html",
            ".md": "text/markdown",
            ".csv": "text/csv",
            ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[suffix],
        max_age=0,
    )
