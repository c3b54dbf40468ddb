"""The `portal` command for operators: serve, migrate (create-user and purge come later)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.settings import Settings, SettingsError


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    uvicorn.run(
        "app.main:create_app_from_environ",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        access_log=False,  # the portal logs one line per request itself, without query strings
        log_level=settings.log_level.lower(),
    )
    return 0


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from app.migrations import upgrade_to_head

    upgrade_to_head(settings.database_url)
    print("Database schema is up to date.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portal",
        description="Run and look after the Children's Portal. Settings come from environment "
        "variables (see README.md): DATABASE_URL, SECRET_KEY, PORTAL_ENV, HOST, PORT, SMTP_*...",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="serve the portal over HTTP", description="Serve the portal over HTTP."
    )
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default: 1; use PostgreSQL for more)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies trusted to set X-Forwarded-* headers (default: 127.0.0.1)",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="upgrade the database schema to the newest version",
        description="Apply every database migration not yet applied (safe to run repeatedly).",
    )
    migrate.set_defaults(handler=_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        print(f"portal: {error}", file=sys.stderr)
        return 2
    return int(args.handler(args, settings))


if __name__ == "__main__":
    sys.exit(main())
