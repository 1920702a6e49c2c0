"""``referral-bot serve``: check the settings, the database and the token, migrate (in a child process),
then answer Slack and run the scheduler until told to stop. Imported only when ``serve`` runs."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

from bot.config import load_settings
from bot.logs import configure_logging

log = logging.getLogger("referral_bot")


def _upgrade_in_child() -> int:
    """``db upgrade`` in a short-lived child process: alembic and its templates (about 11 MB, more while
    migrating) are never loaded into the long-running server, which keeps its idle memory low."""
    import subprocess

    return subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL).returncode


def serve(args: argparse.Namespace) -> int:
    """``referral-bot serve``: answer Slack (HTTP or Socket Mode) and, unless told not to, run the scheduler,
    until SIGTERM or Ctrl-C; then drain the work in flight within ``SHUTDOWN_DRAIN_SECONDS``."""
    from bot.lifecycle import StopSignal

    settings = load_settings(http_mode=args.http)
    configure_logging(settings.log_level, [settings.slack_bot_token, settings.slack_app_token,
                                           settings.slack_signing_secret, settings.slack_client_secret,
                                           settings.slack_state_secret, *settings.token_encryption_keys],
                      settings.log_format)
    stop = StopSignal()
    stop.install()  # before anything slow, so that a SIGTERM during start-up is honoured too
    try:
        return _run_until_stopped(args, settings, stop)
    finally:
        stop.uninstall()


def _run_until_stopped(args: argparse.Namespace, settings, stop) -> int:  # noqa: ANN001
    from bot.app import create_app
    from bot.doctor import CheckFailed, check_database, fetch_identity, manifest_bot_scopes, scope_problem
    from bot.gc_pauses import freeze_start_up_objects
    from bot.lifecycle import bolt_listener_executor, drain, drain_hooks, executor_step, scheduler_step
    from bot.server import Gate, create_http_server, listening_socket, stop_http_server
    from bot.slack_client import create_web_client
    from services.delivery import GATE as DELIVERY_GATE
    from storage.checkpoints import CHECKPOINT_EVERY_SECONDS, start_checkpoints

    # The same checks as `doctor`, each failure one clear line and a non-zero exit, never a traceback.
    engine, database = check_database(settings.database_url, require_migrated=False)
    if engine is None:
        return _cannot_start(database[0])
    child = args.listen_fd is not None  # a web process started by another, which has migrated already
    # Migrations run in a short-lived child, so the migration tooling never stays in the server's memory.
    if not child and _upgrade_in_child() != 0:
        return _cannot_start("database: the schema could not be brought up to date (the reason is printed above)")
    identity = None
    if not settings.multi_workspace:  # many workspaces: each installation is checked when it installs
        try:
            identity = fetch_identity(create_web_client(settings))
        except CheckFailed as failed:
            return _cannot_start(f"token: {failed.line}")
        scopes = scope_problem(identity, manifest_bot_scopes())
        if scopes:
            log.warning("token: %s", scopes)
    checkpoints = start_checkpoints(engine)  # SQLite: off the commits of acks, on a thread of their own
    if checkpoints is not None:
        log.info("SQLite: WAL checkpoints every %g s on their own thread, never inside a commit",
                 CHECKPOINT_EVERY_SECONDS)
    app, ctx = create_app(settings, engine=engine, identity=identity)
    frozen = freeze_start_up_objects()  # before serving: no full collection walks start-up's objects again
    log.info("garbage collector: %d start-up objects frozen, out of its full collections", frozen)
    socket_mode = bool(settings.slack_app_token) and not args.http
    gate, server, server_thread, handler, others = Gate(), None, None, None, None
    processes = args.processes if args.processes is not None else settings.web_processes
    if socket_mode:
        if processes > 1:
            log.warning("--processes/WEB_PROCESSES apply to HTTP mode only; Socket Mode runs in one process")
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token)
        try:
            handler.connect()
        except Exception as error:  # noqa: BLE001
            return _cannot_start(f"Socket Mode: could not connect ({type(error).__name__}); check SLACK_APP_TOKEN "
                                 "(xapp-… with connections:write) and that Socket Mode is on in the app settings")
        from bot.metrics import start_ops_server

        start_ops_server(engine, host=args.host, port=settings.metrics_port)
        log.info("connected in Socket Mode (metrics and health: http://%s:%d/metrics, /healthz)", args.host,
                 settings.metrics_port)
    else:
        if child:
            import socket

            sock = socket.socket(fileno=args.listen_fd)
            port = sock.getsockname()[1]
            if args.parent_fd is not None:
                from bot.web_processes import stop_when_parent_goes

                stop_when_parent_goes(args.parent_fd, lambda: stop.trigger("first web process gone"))
        else:
            port = args.port or settings.port
            try:
                sock = listening_socket(args.host, port)
            except OSError as error:
                return _cannot_start(f"port {port} on {args.host} can't be used ({error.strerror or error}): stop "
                                     "what is using it, or choose another with --port or PORT")
        server = create_http_server(app, engine, sock=sock, gate=gate, threads=settings.web_threads)
        server_thread = threading.Thread(target=server.run, name="http", daemon=True)
        server_thread.start()
        if child:
            log.info("web process %d answering on the shared port %d, %d requests at once", os.getpid(), port,
                     settings.web_threads)
        else:
            log.info("listening for Slack on http://%s:%d/slack/events, %d requests at once (readiness: /healthz, "
                     "liveness: /livez)", args.host, port, settings.web_threads)
        if processes > 1 and not child:
            from bot.web_processes import WebProcesses

            others = WebProcesses(processes - 1, listen_fd=sock.fileno(), host=args.host)
            others.start()
            log.info("%d web processes share the port (WEB_PROCESSES): this one and %d more", processes,
                     processes - 1)
    scheduler = None
    if not args.no_scheduler and not child:
        from bot.oauth import workspace_clients
        from bot.scheduler import create_scheduler

        scheduler = create_scheduler(ctx=ctx, client=workspace_clients(app),
                                     first_tick_seconds=args.first_tick_seconds)
        scheduler.start()
        log.info("scheduler started: reminders, digests and leaderboards tick every few minutes")

    stop.wait()
    log.info("%s: taking no new work; draining for at most %g s", stop.signal_name, settings.shutdown_drain_seconds)
    gate.close()  # HTTP: new requests get 503 while the ones in flight finish
    if others is not None:
        others.stop_taking_work()  # each drains its own, within the same budget
    DELIVERY_GATE.close()  # a fan-out under way claims no more; the tick then ends, its claimed sends finish
    if handler is not None:
        handler.close()  # Socket Mode: no new envelopes
    overran = drain([
        ("requests", lambda left: gate.wait_idle(left)),
        ("listeners", executor_step(bolt_listener_executor(app))),
        ("scheduler", scheduler_step(scheduler)),
        ("deliveries", lambda left: DELIVERY_GATE.drain(left)),
        *drain_hooks(ctx),
        *([("web processes", others.wait)] if others is not None else []),
    ], budget=settings.shutdown_drain_seconds)
    if server is not None:
        stop_http_server(server)
        server_thread.join(2)
    if checkpoints is not None:
        checkpoints.stop()
    engine.dispose()
    if overran:
        # Bolt's and the scheduler's worker threads are not daemons: the interpreter would wait for the
        # abandoned work at exit, unbounded. The drain is the bound, so leave now.
        log.warning("stopped after the %g s drain; abandoned: %s", settings.shutdown_drain_seconds, ", ".join(overran))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    log.info("stopped")
    return 0


def _cannot_start(line: str) -> int:
    print(f"Referral Nudge cannot start: {line}", file=sys.stderr)
    return 2
