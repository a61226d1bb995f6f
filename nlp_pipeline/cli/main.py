"""The ``opinions`` command line: a thin shell over the library.

This module is the ``opinions`` group and its entry point; the commands live in one module
per group (``cli/classify.py``, ``training.py``, ``models.py``, ``curation.py``,
``report.py``, ``serve.py``). Each command parses options, calls one library function, and
renders its result. Results go to stdout; progress and messages go to stderr.
"""

from __future__ import annotations

import click

from nlp_pipeline import __version__
from nlp_pipeline.cli.classify import classify, triage
from nlp_pipeline.cli.curation import audit, suggest
from nlp_pipeline.cli.models import models, workspace_cmd
from nlp_pipeline.cli.report import report
from nlp_pipeline.cli.serve import serve
from nlp_pipeline.cli.training import evaluate, train

INTERRUPTED = "已中断，未写出文件 (interrupted; no output was written)"


class _Group(click.Group):
    """Ctrl-C ends a command with a Chinese message and exit status 130, no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            import warnings

            warnings.filterwarnings("ignore")  # worker pools shutting down say nothing more
            click.echo(f"\n{INTERRUPTED}", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opinions")
def cli() -> None:
    """opinions — 群众意见分类 triage of citizens' opinions for public-security bureaus.

    Sorts each comment into one of six topics (队伍建设、服务经济、执法办案、治安管理、
    交通管理、不属公安职责范围) and a stance (表扬、批评、建议、咨询), and flags doubtful
    ones for a person to review. Label guide: docs/LABELS.md.

    Model versions, added labels and the CURRENT pointer live in one workspace folder:
    $OPINIONS_HOME, else the per-user data folder (a source checkout uses itself).
    `opinions workspace` prints where everything lives.
    """


# One module per command group (cli/classify, training, models, curation, report, serve).
for command in (triage, classify, evaluate, train, models, workspace_cmd):
    cli.add_command(command)
cli.add_command(suggest)
cli.add_command(audit)
cli.add_command(report)
cli.add_command(serve)


def _stop_cleanly_on_sigterm() -> None:
    """SIGTERM (``kill``, a service manager, a closed terminal session) unwinds like Ctrl+C.

    Python's default is to die on the spot, leaving temporaries behind; raising SystemExit
    instead runs every ``finally`` and ``with`` exit, which remove them.
    """
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (embedded use): leave the default
        pass


def main() -> None:
    """Console-script entry point."""
    _stop_cleanly_on_sigterm()
    cli(prog_name="opinions")


if __name__ == "__main__":  # pragma: no cover
    main()  # click exits with the command's status itself
