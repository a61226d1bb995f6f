"""``opinions serve``: the local web page (a thin shell over ``nlp_pipeline.web``)."""

from __future__ import annotations

from pathlib import Path

import click

from nlp_pipeline.cli.common import echo_err, handle_errors


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="监听地址 (address to listen on)."
)
@click.option(
    "--port", default=8765, show_default=True, type=int, help="端口 (port; 0: any free port)."
)
@click.option(
    "--token",
    default=None,
    envvar="OPINIONS_TOKEN",
    help="访问令牌 (access token; required and generated when --host is not loopback).",
)
@click.option(
    "--max-upload-mb", default=200, show_default=True, type=click.IntRange(1), help="上传上限 MB."
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 8), help="后台任务进程数."
)
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="再训练用的语料目录 (corpus folder for retraining; default as for train).",
)
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器 (do not open a browser).")
@handle_errors
def serve(host, port, token, max_upload_mb, workers, corpus_dir, no_browser) -> None:
    """Serve the web page for the office 启动网页界面 (classify, review, one comment, models).

    \b
    Examples:
      opinions serve                                  # 127.0.0.1:8765, opens the browser
      opinions serve --host 0.0.0.0 --port 8765       # intranet: prints a URL with a token
    State (jobs, uploads, corrections) lives in the workspace ($OPINIONS_HOME).
    """
    from nlp_pipeline.web.config import ServeConfig, is_loopback, workspace_dir
    from nlp_pipeline.web.security import hash_token, new_token
    from nlp_pipeline.web.server import serve as run

    if token is None and not is_loopback(host):
        token = new_token()
    config = ServeConfig(
        home=workspace_dir(),
        host=host,
        port=port,
        token_hash=hash_token(token) if token else None,
        max_upload_mb=max_upload_mb,
        corpus_dir=corpus_dir,
        workers=workers,
    )

    def ready(url: str) -> None:
        shown = f"{url}?token={token}" if token else url
        click.echo(f"opinions serve: {shown}", err=False)
        echo_err(f"工作区 workspace: {config.home}  ·  Ctrl+C 停止 (stop)")
        if not no_browser:
            import webbrowser

            webbrowser.open(shown)

    try:
        run(config, ready)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise click.ClickException(
            f"无法在 {host}:{port} 启动 (cannot listen there): {exc}"
        ) from exc
