"""单条 One comment: the answer of ``opinions triage`` with the words behind it marked."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from nlp_pipeline.web.app import predictor
from nlp_pipeline.web.highlight import segments

bp = Blueprint("one", __name__)
MAX_CHARS = 100_000


@bp.route("/one", methods=["GET", "POST"])
def one_page():
    text = request.form.get("text", "") if request.method == "POST" else ""
    context = {"page": "one", "text": text, "pred": None, "error": None}
    if request.method == "POST":
        if not text.strip():
            context["error"] = "意见文本为空 (the text is empty)"
            return render_template("one.html", **context), 400
        if len(text) > MAX_CHARS:
            context["error"] = f"文本超过 {MAX_CHARS} 字 (text too long)"
            return render_template("one.html", **context), 400
        from nlp_pipeline.text.normalize import normalize

        pred = predictor().predict_one(text)
        context.update(pred=pred, marked=segments(normalize(text), pred.explanation))
    return render_template("one.html", **context)
