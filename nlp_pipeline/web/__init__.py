"""``opinions serve``: a local web page over the same library functions as the CLI.

Layout (after datasette): ``app`` builds the Flask application, ``views/`` holds one
blueprint per page (classify, review, one comment, models), ``db`` the SQLite state with
its schema version and migrations, ``jobs`` the background worker that runs long work
(classification, exports, retraining) in processes of its own, ``results`` the queries
and exports over a classified file, ``security`` the access token, CSRF and safe names,
``server`` starts the workers and the waitress server. Templates are Jinja2 with
autoescape; every script and style is served from ``static/`` (nothing from a CDN).
"""

from __future__ import annotations

from nlp_pipeline.web.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(config: ServeConfig):
    """The Flask application for ``config`` (imported lazily: Flask is not needed to triage)."""
    from nlp_pipeline.web.app import create_app as _create

    return _create(config)
