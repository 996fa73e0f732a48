"""``wgll server start|status|stop``: the local Prefect server that commands start on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from flows.cli_output import console, errors

if TYPE_CHECKING:
    from pipeline.settings import Settings

server_app = typer.Typer(
    help="The local Prefect server wgll starts on first use (unless PREFECT_API_URL is set) and keeps "
    "running: flow runs, their history and the UI live there.",
    no_args_is_help=True,
)


def _api_url_note() -> None:
    from flows.server import configured_api_url

    url = configured_api_url()
    if url:
        console.print(f"PREFECT_API_URL is set ({url}): commands use that server and start none.")


@server_app.command()
def start() -> None:
    """Start the server now (commands otherwise start it on first use); say where it is if it runs already."""
    from flows.server import ServerError, ensure_server, prefect_home
    from pipeline.settings import Settings

    _api_url_note()
    try:
        state, started = ensure_server(prefect_home(), Settings().prefect_server_start_seconds)
    except ServerError as error:
        errors.print(str(error), markup=False, highlight=False, style="red")
        raise typer.Exit(1) from error
    what = "Started" if started else "Already running:"
    console.print(f"{what} Prefect server (pid {state.pid}) at {state.ui_url}", markup=False, highlight=False)


@server_app.command()
def status() -> None:
    """Say whether the server runs, its pid, UI address and home; exit status 1 when it does not run."""
    from flows.server import is_running, prefect_home, read_state

    _api_url_note()
    home = prefect_home()
    state = read_state(home)
    if state is None:
        console.print(f"No wgll Prefect server runs for {home}.", markup=False, highlight=False)
        raise typer.Exit(1)
    if not is_running(state, patience=5.0):
        console.print(
            f"The Prefect server recorded in {home} (pid {state.pid}) is not running or not answering; "
            "the next command replaces it.",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"Prefect server (pid {state.pid}, started {state.started}) at {state.ui_url}; home {home}",
        markup=False,
        highlight=False,
    )


@server_app.command()
def stop() -> None:
    """Stop the server; its database (flow runs, history) stays in the Prefect home for the next start."""
    from flows.server import prefect_home, stop_server

    home = prefect_home()
    state = stop_server(home)
    if state is None:
        console.print(f"No wgll Prefect server was running for {home}.", markup=False, highlight=False)
    else:
        console.print(f"Stopped the Prefect server (pid {state.pid}) at {state.ui_url}.", markup=False, highlight=False)


def before_flow(settings: Settings) -> None:
    """What a command does before it runs a flow: use the background server (flows/server.py),
    unless PREFECT_API_URL is set or WGLL_PREFECT_SERVER=ephemeral."""
    from flows.server import ServerError, use_server

    try:
        use_server(settings.prefect_server, settings.prefect_server_start_seconds)
    except ServerError as error:
        errors.print(
            f"{error}\nWGLL_PREFECT_SERVER=ephemeral runs without it.", markup=False, highlight=False, style="red"
        )
        raise typer.Exit(1) from error
