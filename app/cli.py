"""The `portal` command for operators: serve, migrate, purge, create-user, reset-two-factor,
disable-user, enable-user, grant-manager, revoke-manager, create-api-token, revoke-api-token,
list-api-tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from app.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import User


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


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import create_database_engine, create_session_factory
    from app.models import utc_now
    from app.services.retention import purge

    engine = create_database_engine(settings.database_url)
    try:
        report = purge(
            create_session_factory(engine), settings, now=utc_now(), dry_run=args.dry_run
        )
    finally:
        engine.dispose()
    for line in report.lines(dry_run=args.dry_run):
        print(line)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """From a prompt (typed twice, not shown), or one line of standard input when it is not a
    terminal (for scripts: `printf '%s\\n' "$PASSWORD" | portal create-user ...`)."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValueError("the two passwords are not the same")
    return first


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import create_database_engine, create_session_factory
    from app.models import utc_now
    from app.services.accounts import OperatorError, create_user_by_operator

    if args.manager and args.role != "hub":
        print(
            "portal: only hub staff can be managers: use --manager with --role hub",
            file=sys.stderr,
        )
        return 2
    try:
        password = _read_password(args)
    except ValueError as error:
        print(f"portal: {error}", file=sys.stderr)
        return 1
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            outcome = create_user_by_operator(
                session,
                email=args.email,
                name=args.name,
                role=args.role,
                password=password,
                now=utc_now(),
                manager=args.manager,
            )
            session.commit()
    except OperatorError as error:
        print(f"portal: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(outcome)
    return 0


def _reset_two_factor(session: Session, user: User, now: datetime) -> object:
    from app.services.two_factor import reset_by_operator

    return reset_by_operator(session, user, now=now)


def _disable_user(session: Session, user: User, now: datetime) -> object:
    from app.services.accounts import disable_by_operator

    return disable_by_operator(session, user, now=now)


def _enable_user(session: Session, user: User, now: datetime) -> object:
    from app.services.accounts import enable_by_operator

    return enable_by_operator(session, user, now=now)


def _grant_manager(session: Session, user: User, now: datetime) -> object:
    from app.services.accounts import grant_manager_by_operator

    return grant_manager_by_operator(session, user, now=now)


def _revoke_manager(session: Session, user: User, now: datetime) -> object:
    from app.services.accounts import revoke_manager_by_operator

    return revoke_manager_by_operator(session, user, now=now)


def _account_command(
    act: Callable[[Session, User, datetime], object],
) -> Callable[[argparse.Namespace, Settings], int]:
    """A command that runs `act` (a service function, imported when run so that `portal
    --help` stays quick) on the account named by its email address, and prints what it did,
    or why it could not (an `OperatorError`)."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        from app.db import create_database_engine, create_session_factory
        from app.models import utc_now
        from app.services.accounts import OperatorError, user_by_email

        engine = create_database_engine(settings.database_url)
        try:
            with create_session_factory(engine)() as session:
                user = user_by_email(session, args.email)
                if user is None:
                    print(f"portal: there is no account for {args.email}", file=sys.stderr)
                    return 1
                try:
                    outcome = str(act(session, user, utc_now()))
                except OperatorError as error:
                    print(f"portal: {error}", file=sys.stderr)
                    return 1
                session.commit()
        finally:
            engine.dispose()
        print(outcome)
        return 0

    return run


def _with_session(
    settings: Settings, act: Callable[[Session, datetime], tuple[int, str]]
) -> tuple[int, str]:
    """Run `act` in one database session, committed when it answers 0."""
    from app.db import create_database_engine, create_session_factory
    from app.models import utc_now

    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            status, text = act(session, utc_now())
            if status == 0:
                session.commit()
            return status, text
    finally:
        engine.dispose()


def _token_command(
    act: Callable[[Session, str, datetime], str],
) -> Callable[[argparse.Namespace, Settings], int]:
    """A command on the API token named by --name: prints what `act` says, or why not."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        from app.services.api_tokens import TokenProblem

        def attempt(session: Session, now: datetime) -> tuple[int, str]:
            try:
                return 0, act(session, args.name, now)
            except TokenProblem as problem:
                return 1, f"portal: {problem}"

        status, text = _with_session(settings, attempt)
        print(text, file=sys.stderr if status else sys.stdout)
        return status

    return run


def _create_api_token(session: Session, name: str, now: datetime) -> str:
    from app.services.api_tokens import create_token

    token = create_token(session, name, now=now)
    return (
        f"API token {name}, shown this once (only its hash is kept: if it is lost, revoke it "
        f"and make another):\n{token}"
    )


def _revoke_api_token(session: Session, name: str, now: datetime) -> str:
    from app.services.api_tokens import revoke_token

    return revoke_token(session, name, now=now)


def _list_api_tokens(_args: argparse.Namespace, settings: Settings) -> int:
    from app.services.api_tokens import all_tokens

    def listing(session: Session, _now: datetime) -> tuple[int, str]:
        lines = []
        for token in all_tokens(session):
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}Z" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}Z" if token.last_used_at else "never"
            lines.append(
                f"{token.name}\t{state}\tcreated {token.created_at:%Y-%m-%d %H:%M}Z\t"
                f"last used {used}"
            )
        return 0, "\n".join(lines) or "There are no API tokens."

    _status, text = _with_session(settings, listing)
    print(text)
    return 0


# The commands on one account named by --email: name, help, description, and what does it
# (see `_account_command`).
ACCOUNT_COMMANDS = (
    (
        "reset-two-factor",
        "turn off someone's two-factor sign-in (a lost phone and recovery codes)",
        "Turn off two-factor sign-in for an account and end its sessions, after checking who is "
        "asking. Hub staff set up a new authenticator app when they next sign in; a "
        "professional signs in with their password alone until they set one up again.",
        _reset_two_factor,
    ),
    (
        "disable-user",
        "stop someone signing in (a leaver, an account that may be misused)",
        "Disable an account: its sessions end at once, it cannot sign in or have a password "
        "reset code, and it stays disabled until enable-user. What it sent and wrote is kept, "
        "and so are hub staff's records of their actions.",
        _disable_user,
    ),
    (
        "enable-user",
        "let a disabled account sign in again",
        "Enable an account disabled by disable-user: it signs in again with its password (and "
        "its two-factor sign-in, if it had one).",
        _enable_user,
    ),
)


# The commands that make hub staff a manager of the hub (who sees its reports) or not, on the
# account named by its email address: name, help, description, and what does it.
MANAGER_COMMANDS = (
    (
        "grant-manager",
        "let a member of hub staff see the hub's reports",
        "Make a member of hub staff a manager of the hub: they see its reports as well as "
        "everything hub staff see. Only hub staff can be managers. Running it again changes "
        "nothing.",
        _grant_manager,
    ),
    (
        "revoke-manager",
        "stop a manager seeing the hub's reports",
        "Make a manager of the hub hub staff only again, from their next page. Running it "
        "again changes nothing.",
        _revoke_manager,
    ),
)


# The commands on one API token named by --name: name, help, description, and what does it.
TOKEN_COMMANDS = (
    (
        "create-api-token",
        "make a token for a case system to read sent referrals through the API",
        "Make an API token for a case system (read-only: sent referrals, their exports and "
        "documents; see docs/EXPORT.md). The token is printed once: give it to the case "
        "system's administrators by a secure route. Only its hash is kept.",
        _create_api_token,
    ),
    (
        "revoke-api-token",
        "stop an API token working, at once",
        "Revoke an API token: from now on it gets 401 on every call. Its record stays, for the "
        "audit log; its name cannot be used again.",
        _revoke_api_token,
    ),
)


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

    purge = commands.add_parser(
        "purge",
        help="delete what is past its retention period, now",
        description="Send due reminders and delete expired drafts (30 days after their last "
        "save), sent referrals past HUB_RETENTION_DAYS, and short-lived records. Prints what "
        "it did. The app also does this by itself every PURGE_INTERVAL_MINUTES.",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="print what would be done, and change nothing"
    )
    purge.set_defaults(handler=_purge)

    create_user = commands.add_parser(
        "create-user",
        help="create an account, for example for hub staff",
        description="Create an account with the given role. Hub staff can only be made this way. "
        "The password is asked for (twice), or read from standard input when that is not a "
        "terminal. An existing professional's account given --role hub becomes hub staff, "
        "keeping its password.",
    )
    create_user.add_argument("--role", choices=["hub", "professional"], default="hub")
    create_user.add_argument("--email", required=True, help="their own work email address")
    create_user.add_argument("--name", required=True, help='forename and surname, "Ada Lovelace"')
    create_user.add_argument(
        "--manager",
        action="store_true",
        help="hub staff who are also a manager of the hub and see its reports (--role hub only)",
    )
    create_user.set_defaults(handler=_create_user)

    for name, summary, description, act in ACCOUNT_COMMANDS:
        command = commands.add_parser(name, help=summary, description=description)
        command.add_argument("--email", required=True, help="the account's email address")
        command.set_defaults(handler=_account_command(act))
    for name, summary, description, act in MANAGER_COMMANDS:
        command = commands.add_parser(name, help=summary, description=description)
        command.add_argument("email", metavar="EMAIL", help="the hub staff's email address")
        command.set_defaults(handler=_account_command(act))

    for name, summary, description, token_act in TOKEN_COMMANDS:
        command = commands.add_parser(name, help=summary, description=description)
        command.add_argument(
            "--name", required=True, help='who holds the token, like "case-system"'
        )
        command.set_defaults(handler=_token_command(token_act))
    list_tokens = commands.add_parser(
        "list-api-tokens",
        help="list the API tokens, revoked or not, and when each was last used",
        description="List every API token by name: active or revoked, when it was made and "
        "last used. The tokens themselves are never shown again.",
    )
    list_tokens.set_defaults(handler=_list_api_tokens)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        print(f"portal: {error}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, settings))
    except SQLAlchemyError as error:
        # No traceback for an operator: what failed, and what to check.
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(
            f"portal: the database could not be used ({reason}). Check DATABASE_URL, that "
            "the database is running, and that `portal migrate` has been run.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
