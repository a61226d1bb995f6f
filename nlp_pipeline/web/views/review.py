"""复核 Review: the rows needing review, one at a time or as a table; corrections saved at once."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from nlp_pipeline.errors import InputError
from nlp_pipeline.web import jobs, results
from nlp_pipeline.web.app import conn, predictor
from nlp_pipeline.web.highlight import segments

bp = Blueprint("review", __name__)


@bp.get("/review")
def latest():
    """The review of the latest finished classification, or a page saying there is none."""
    for job in results.recent_jobs(conn(), "classify", 50):
        if job["status"] == "done":
            return redirect(url_for("review.review_page", job_id=job["id"]))
    return render_template("review_none.html", page="review")


def _job(job_id: str) -> dict:
    job = jobs.get(conn(), job_id)
    if job is None or job["kind"] != "classify" or job["status"] != "done":
        abort(404, "没有这个已完成的分类任务 (no such finished classification)")
    return job


@bp.get("/jobs/<hexid:job_id>/review")
def review_page(job_id: str):
    job = _job(job_id)
    numbers = results.review_numbers(conn(), job_id)
    context = {
        "page": "review",
        "job": job,
        "count": len(numbers),
        "done": conn()
        .execute(
            "SELECT COUNT(*) FROM corrections c JOIN rows r ON r.job_id = c.job_id AND r.n = c.n"
            " WHERE c.job_id = ? AND r.needs_review = 1",
            (job_id,),
        )
        .fetchone()[0],
    }
    if request.args.get("view") == "table":
        rows, total = results.query_rows(
            conn(), job, review="yes", page=_page(), per_page=results.PER_PAGE
        )
        pages = max(1, -(-total // results.PER_PAGE))
        return render_template(
            "review_table.html", rows=rows, page_no=min(_page(), pages), pages=pages, **context
        )
    if not numbers:
        return render_template("review_one.html", row=None, **context)
    i = min(max(_page("i") - 1, 0), len(numbers) - 1)
    row = results.get_row(conn(), job, numbers[i])
    assert row is not None  # numbers are rows of this job
    pred = predictor(job["result"].get("model_dir")).predict_one(row["text"] or " ")
    from nlp_pipeline.text.normalize import normalize

    shown = normalize(row["text"])
    return render_template(
        "review_one.html",
        row=row,
        index=i,
        pred=pred,
        marked=segments(shown, pred.explanation),
        **context,
    )


def _page(name: str = "page") -> int:
    try:
        return max(int(request.args.get(name, 1)), 1)
    except ValueError:
        return 1


@bp.post("/api/jobs/<hexid:job_id>/rows/<int:n>/label")
def label(job_id: str, n: int):
    """Save one correction (topic and stance ids); the table is the source of every export."""
    job = _job(job_id)
    data = request.get_json(silent=True) if request.is_json else request.form
    if not data:
        return jsonify({"error": "缺少 topic/stance (missing topic and stance)"}), 400
    if (
        conn().execute("SELECT 1 FROM rows WHERE job_id = ? AND n = ?", (job_id, n)).fetchone()
        is None
    ):
        return jsonify({"error": f"没有第 {n} 行 (no such row)"}), 404
    try:
        results.save_correction(
            conn(), job_id, n, str(data.get("topic", "")), str(data.get("stance", ""))
        )
    except InputError as exc:
        return jsonify({"error": str(exc)}), 400
    row = results.get_row(conn(), job, n)
    assert row is not None  # checked above
    return jsonify({"n": n, "topic": row["topic"], "stance": row["stance"], "saved": True})
