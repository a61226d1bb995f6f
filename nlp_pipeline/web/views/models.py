"""模型 Models: versions and metrics, retraining on the saved corrections, promote or roll back."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from nlp_pipeline.errors import OpinionsError
from nlp_pipeline.web import jobs, results
from nlp_pipeline.web.app import conn

bp = Blueprint("models", __name__)

HEADLINE = [
    ("test_topic_macro_f1", "主题 topic macro-F1"),
    ("test_stance_macro_f1", "立场 stance macro-F1"),
    ("test_review_coverage", "自动通过 coverage"),
    ("cv_topic_macro_f1", "交叉验证 CV topic F1"),
    ("cv_stance_macro_f1", "交叉验证 CV stance F1"),
]
SHOWN_FIELDS = {
    "version",
    "path",
    "meta",
    "parent",
    "baseline",
    "gate_passed",
    "promoted",
    "added_file",
    "n_added",
    "issues",
    "timings",
    "skipped_no_opinion",
}


@bp.get("/models")
def models_page():
    from nlp_pipeline.model.registry import list_versions, switch_history

    return render_template(
        "models.html",
        page="models",
        versions=list_versions(),
        switches=switch_history()[-10:][::-1],  # the last ten, newest first
        headline=HEADLINE,
        corrections=results.count_corrections(conn()),
        trainings=results.recent_jobs(conn(), "retrain", 10),
    )


@bp.post("/models/retrain")
def start_retrain():
    running = (
        conn()
        .execute("SELECT id FROM jobs WHERE kind = 'retrain' AND status IN ('queued', 'running')")
        .fetchone()
    )
    if running is not None and not request.form.get("again"):
        flash("已有一个训练任务在进行 (a training is already queued or running)")
        return redirect(url_for("classify.job_page", job_id=running["id"]), code=303)
    job_id = jobs.create(
        conn(), "retrain", {"skip_invalid": bool(request.form.get("skip_invalid"))}
    )
    return redirect(url_for("classify.job_page", job_id=job_id), code=303)


@bp.post("/models/use")
def use_version():
    """Make a version the default, as ``opinions models use``; a failed gate needs "force"."""
    from nlp_pipeline.model.registry import GateFailed, NoSuchVersion, use_version

    version = request.form.get("version", "")
    try:
        use_version(version, force=bool(request.form.get("force")), via="web")
    except NoSuchVersion:
        abort(404, f"没有这个模型版本 (no such version): {version}")
    except GateFailed:
        abort(
            409,
            "该版本未通过质量门槛；如确需使用，请勾选“强制”(the gate failed; tick force, "
            "as with --force)",
        )
    except OpinionsError as exc:
        abort(400, str(exc))
    except OSError as exc:  # the models folder cannot be written (permissions, disk full …)
        abort(500, f"无法切换默认模型 (cannot switch the default model): {exc.strerror or exc}")
    flash(f"默认模型已切换为 {version} (default model is now {version})")
    back = request.form.get("back", "")
    if len(back) == 32 and all(c in "0123456789abcdef" for c in back):
        return redirect(url_for("classify.job_page", job_id=back), code=303)
    return redirect(url_for("models.models_page"), code=303)


@bp.get("/jobs/<hexid:job_id>/labels.xlsx")
def training_labels(job_id: str):
    """The corrections exactly as a training read them (its messages cite their rows)."""
    from flask import send_file

    from nlp_pipeline.web import jobs as jobs_module
    from nlp_pipeline.web.app import config

    job = jobs_module.get(conn(), job_id)
    path = config().folder("labels") / f"{job_id}.xlsx"
    if job is None or job["kind"] != "retrain" or not path.is_file():
        abort(404, "没有这个训练的标注文件 (no such file)")
    return send_file(path, as_attachment=True, download_name="人工更正_训练用.xlsx", max_age=0)


def retrain_page(job: dict):
    from nlp_pipeline.model.registry import current_version

    outcome = job["result"] or {}
    extra = {k: v for k, v in outcome.items() if k not in SHOWN_FIELDS}
    metrics = (outcome.get("meta") or {}).get("metrics", {})
    keys = [k for k, _ in HEADLINE] + sorted(
        k
        for k in set(metrics) | set(outcome.get("baseline") or {})
        if k.startswith("test_")
        and k not in dict(HEADLINE)
        and isinstance(metrics.get(k, outcome.get("baseline", {}).get(k)), (int, float))
    )
    return render_template(
        "retrain.html",
        page="models",
        job=job,
        status=jobs.status(job),
        outcome=outcome,
        metrics=metrics,
        keys=keys,
        labels=dict(HEADLINE),
        extra=extra,
        promotion=(outcome.get("meta") or {}).get("promotion", {}),
        current=current_version(),
    )
