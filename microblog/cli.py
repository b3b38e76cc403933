"""Command line: init-db, create-admin, check-password, seed, export, import, unlock-admin, token, serve, worker."""
import contextlib
import os
import random
import signal
import sys
from collections import Counter
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from .data import migrations
from .data.models import utcnow
from .service import auth as auth_service
from .service import errors as service_errors
from .service import export_format, login_throttle, posts, transfer
from .service.wording import counted
from .web.serve import serve_command
from .web.tokens import issue_tokens
from .worker import Worker


def _set_admin(username, password):
    try:
        _user, created = auth_service.set_admin(
            username, password, current_app.config["PASSWORD_HASH_METHOD"]
        )
    except service_errors.ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    return created


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or upgrade it in place, to the newest schema version; with
    ADMIN_USERNAME and ADMIN_PASSWORD set and no admin yet, create that admin."""
    database = current_app.extensions["database"]
    before = migrations.current_version(database)
    applied = migrations.upgrade(database)
    if applied:
        click.echo(f"Schema upgraded from version {before} to {applied[-1]}.")
    click.echo(f"Database ready (schema version {migrations.current_version(database)}).")
    username = current_app.config["ADMIN_USERNAME"]
    password = current_app.config["ADMIN_PASSWORD"]
    if username and password and not auth_service.admin_exists():
        _set_admin(username, password)
        click.echo(f"Admin '{username}' created.")


def _read_password(confirm):
    """The password from standard input when it is not a terminal, else prompted for."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-admin")
@with_appcontext
@click.option("--username", required=True, help="The admin's login name.")
def create_admin_command(username):
    """Create the admin, or set its password. The password is read from standard input
    when it is not a terminal, else prompted for."""
    password = _read_password(confirm=True)
    created = _set_admin(username, password)
    click.echo(f"Admin '{username}' {'created' if created else 'password set'}.")


@click.command("check-password")
@with_appcontext
@click.option("--username", required=True, help="The admin's login name.")
def check_password_command(username):
    """Exit 0 if the password (standard input, else prompted for) is the admin's current one,
    else 1. Checked locally: no login is throttled or recorded."""
    if not auth_service.is_admin_password(username, _read_password(confirm=False)):
        raise click.ClickException(f"That is not the current password of admin '{username}'.")
    click.echo(f"That is the current password of admin '{username}'.")


SEED_TAGS = ["python", "flask", "sqlite", "postgresql", "notes", "release", "howto", "web"]
SEED_WORDS = (
    "the quick service keeps every post small correct and fast while readers follow feeds "
    "and caches revalidate pages without asking twice"
).split()


@click.command("seed")
@with_appcontext
@click.option("--count", default=20, show_default=True, help="How many demo posts.")
@click.option("--random-seed", default=1, show_default=True, help="Seed for repeatable content.")
def seed_command(count, random_seed):
    """Add demo posts: mostly public, one hidden and one scheduled for tomorrow."""
    rng = random.Random(random_seed)
    now = utcnow()
    for number in range(1, count + 1):
        words = " ".join(rng.choice(SEED_WORDS) for _ in range(rng.randint(8, 40)))
        posts.create_post(
            {
                "title": f"Demo post {number}",
                "content": f"**Demo {number}.** {words.capitalize()}.",
                "tags": rng.sample(SEED_TAGS, rng.randint(0, 3)),
                "visible": number != 2,
                "publish_at": now + timedelta(days=1) if number == 3 else None,
            },
            now=now - timedelta(minutes=count - number),
        )
    notes = ["the 2nd hidden"] * (count >= 2) + ["the 3rd scheduled for tomorrow"] * (count >= 3)
    click.echo(f"Added {counted(count, 'demo post')}" + (f" ({', '.join(notes)})." if notes else "."))


@click.command("token")
@click.option("--username", help="The admin's login name (default: the admin).")
@with_appcontext
def token_command(username):
    """Print a new access token of the admin, for scripts on this host:
    TOKEN=$(flask --app microblog token). A login of its own, without a password (whoever can
    run this can read the database), valid for JWT_ACCESS_TOKEN_EXPIRES."""
    try:
        user = auth_service.the_admin(username)
    except service_errors.ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    access, _refresh = issue_tokens(user, auth_service.new_session_id())
    click.echo(access)


@click.command("unlock-admin")
@click.option("--username", help="Only this username's locks (default: every lock).")
@with_appcontext
def unlock_admin_command(username):
    """Clear login throttling, e.g. after someone guessed at the admin's password."""
    cleared = login_throttle.unlock(username)
    click.echo(f"Cleared {counted(cleared, 'login lock')}.")


@click.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Where to write the NDJSON (default: standard output).")
@with_appcontext
def export_command(output):
    """Write everything (admin, revoked tokens, posts with every field) as NDJSON; a file is made
    readable by its owner only (it holds the admin's password hash)."""
    kinds = Counter()

    def counting(records):
        for kind, fields in records:
            kinds[kind] += 1
            yield kind, fields

    with _private_output(output) as handle:
        for line in export_format.export_lines(counting(transfer.export_records())):
            handle.write(line)
    what = [counted(kinds["post"], "post"), counted(kinds["revision"], "revision"), counted(kinds["admin"], "admin")]
    if kinds["revoked_token"]:
        what.append(counted(kinds["revoked_token"], "revoked token"))
    where = "standard output" if output == "-" else output
    click.echo(f"Exported {', '.join(what)} to {where}.", err=output == "-")


@contextlib.contextmanager
def _private_output(path):
    """Standard output for -, else the file, created or truncated with mode 0600."""
    if path == "-":
        yield click.get_text_stream("stdout")
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise click.ClickException(f"Cannot write {path}: {error.strerror}.") from None
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
    with open(descriptor, "w", encoding="utf-8") as handle:
        yield handle


@click.command("import")
@click.argument("source", type=click.File("rb"))
@with_appcontext
def import_command(source):
    """Upsert an NDJSON export (a file, or - for standard input): all records or none."""
    try:
        records = export_format.read_records(source, current_app.config["MAX_POST_LENGTH"])
        counts = transfer.upsert_records(records, current_app.config["PASSWORD_HASH_METHOD"])
    except (export_format.ImportFormatError, service_errors.ServiceError) as exc:
        raise click.ClickException(f"Nothing imported: {exc}") from None
    for kind, outcome in counts.items():
        click.echo(f"{kind}: " + ", ".join(f"{n} {what}" for what, n in outcome.items()))


@click.command("worker")
@with_appcontext
def worker_command():
    """Send due deliveries (WebSub pings, Webmentions, fediverse activities) until stopped by SIGTERM or Ctrl-C. Any number of
    workers can run, on any number of hosts sharing a PostgreSQL database."""
    worker = Worker(current_app._get_current_object())
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


def help_requested(argv=None):
    """Whether this command line asks for help (--help), which must work before any configuration."""
    return "--help" in (sys.argv[1:] if argv is None else argv)


def main():
    """The `microblog` console script: Flask's CLI bound to this app."""
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(create_app=create_app)()


def init_app(app):
    for command in (init_db_command, create_admin_command, check_password_command, seed_command, export_command,
                    import_command, unlock_admin_command, token_command, serve_command, worker_command):
        app.cli.add_command(command)
