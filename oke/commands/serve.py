"""`oke serve`: the mock Toetsplanning/KRS that vendors point their test administration system at."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8080, min=0, max=65535, help="TCP port (0: any free port, shown at start)."),
    db: str = typer.Option(None, "--db", help="Store URL or SQLite path (default: krs.sqlite here)."),
    planning: Path = typer.Option(
        None,
        "--planning",
        help="Planning folder (zittingen, deelnames) this receiver knows.",
        exists=True,
        file_okay=False,
    ),
    accept_unknown: bool = typer.Option(
        False, "--accept-unknown", help="Answer 200 for unknown associations and keep them in quarantine."
    ),
    clients: Path = typer.Option(
        None,
        "--clients",
        help="YAML list of client_id, client_secret, scopes (default: a development client).",
        exists=True,
        dir_okay=False,
    ),
    policy: str = typer.Option(None, "--policy", help="Policy preset or file (default: the planning's)."),
    token_ttl: int = typer.Option(3600, "--token-ttl", min=1, help="Access-token lifetime in seconds."),
    max_body: int = typer.Option(
        1_048_576, "--max-body", min=1024, help="Largest request body in bytes (413)."
    ),
    documents: Path = typer.Option(
        None,
        "--documents",
        help="Folder of documents served at GET /documents/{documentId}.",
        exists=True,
        file_okay=False,
    ),
    trust_sent_at: bool = typer.Option(
        False, "--trust-sent-at", help="Use the sender's X-OKE-Sent-At as the receive time (rehearsals)."
    ),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request line (never tokens)."),
    writer: str = typer.Option(
        "process", "--writer", help="Run ingest in its own 'process' (faster on 2+ cores) or in a 'thread'."
    ),
) -> None:
    """Run the receiver until Ctrl-C."""
    import uvicorn

    from oke.http.app import ServerConfig
    from oke.http.clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
    from oke.http.server import ServeOptions, SetupError, build_app, listen_socket, uvicorn_config
    from oke_core.dataerrors import DataError

    if writer not in ("process", "thread"):
        typer.echo("oke serve: --writer must be 'process' or 'thread'", err=True)
        raise typer.Exit(2)
    options = ServeOptions(
        db=db,
        planning=planning,
        accept_unknown=accept_unknown,
        clients=clients,
        policy=policy,
        token_ttl=token_ttl,
        config=ServerConfig(
            accept_unknown=accept_unknown,
            max_body=max_body,
            documents_dir=documents,
            trust_sent_at=trust_sent_at,
            writer=writer,
        ),
    )
    # bound before anything is announced: "listening on" used to be printed for a port in use
    try:
        sock = listen_socket(host, port)
    except OSError as exc:
        typer.echo(
            f"oke serve: cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(another server on that port? choose one with --port, or --port 0 for any free port)",
            err=True,
        )
        raise typer.Exit(2) from None
    try:
        app, holder = build_app(options)
    except (SetupError, DataError, ValueError, OSError) as exc:
        sock.close()
        typer.echo(f"oke serve: {exc}", err=True)
        raise typer.Exit(2) from None
    port = sock.getsockname()[1]
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    typer.echo(
        f"oke serve: listening on {base} (OpenAPI: {base}/openapi.json, token: {base}/oauth/token)", err=True
    )
    if holder.issuer.registry.is_default:
        typer.echo(
            f"oke serve: development client in use: client_id={DEV_CLIENT_ID} "
            f"client_secret={DEV_CLIENT_SECRET} (scope nl-test-admin-flow-2-3-4); "
            "pass --clients FILE for real credentials",
            err=True,
        )
    uvicorn.Server(uvicorn_config(app, host, port, access_log=access_log)).run(sockets=[sock])
