"""`make prod`: the production layout on one machine.

nginx (TLS, a self-signed certificate unless one is given) in front of gunicorn's WSGI workers
for pages and POSTs and several socket processes for /ws/ (uvicorn, or daphne with
SOCKET_SERVER=daphne), with the job workers, on PostgreSQL and Redis. ``prepare`` writes
everything the processes need into one directory (``.prod/`` by default): ``nginx.conf`` rendered
from ``deploy/nginx.conf.template``, a ``Procfile`` for honcho, an ``env`` file, and the
certificate and secret key, made once and kept.

Settings come from the environment as in production; this script fills in only what a local
rehearsal needs (a local database and Redis, the local address as the site's address, no HSTS
so that browsing other local ports stays on plain HTTP).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import secrets
import shlex
import shutil
import sys
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import honcho.command
import honcho.manager
import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
MIME_TYPES_CANDIDATES = (
    "/etc/nginx/mime.types",
    "/usr/local/etc/nginx/mime.types",
    "/opt/homebrew/etc/nginx/mime.types",
)


class NginxTemplate(Template):
    """Only ``${UPPER_CASE}`` names are ours: nginx's own variables are ``$lower_case``."""

    pattern = r"\$(?:(?P<escaped>(?!))|(?P<named>(?!))|\{(?P<braced>[A-Z_]+)\}|(?P<invalid>(?!)))"


def _setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


def socket_count() -> int:
    count = int(_setting("SOCKET_PROCESSES", "2"))
    if not 1 <= count <= 64:
        raise SystemExit("SOCKET_PROCESSES must be between 1 and 64.")
    return count


def render_nginx(run_dir: Path, *, bind: str, http_port: int, https_port: int, sockets: int) -> str:
    mime_types = next((path for path in MIME_TYPES_CANDIDATES if Path(path).exists()), None)
    if mime_types is None:
        raise SystemExit("nginx's mime.types was not found: is nginx installed?")
    socket_servers = "\n".join(f"        server unix:{run_dir}/socket{index}.sock;" for index in range(sockets))
    header = ""
    if os.geteuid() == 0:
        # A local rehearsal as root: the workers must read the project's static files and the
        # sockets the other processes made. On a server nginx keeps its own unprivileged user.
        header = "user root;\n"
    return header + NginxTemplate(TEMPLATE.read_text()).substitute(
        RUN_DIR=run_dir,
        MIME_TYPES=mime_types,
        ACCESS_LOG=run_dir / "access.log",
        SOCKET_SERVERS=socket_servers,
        BIND=bind,
        HTTP_PORT=http_port,
        HTTPS_PORT=https_port,
        SERVER_NAME=_setting("SERVER_NAME", "_"),
        TLS_CERTIFICATE=_setting("TLS_CERTIFICATE", str(run_dir / "tls" / "certificate.pem")),
        TLS_KEY=_setting("TLS_KEY", str(run_dir / "tls" / "key.pem")),
        STATIC_ROOT=ROOT / "staticfiles",
    )


def ensure_self_signed_certificate(tls_dir: Path, host: str) -> None:
    """A certificate for the local address, made once; browsers will ask to trust it."""
    certificate_path, key_path = tls_dir / "certificate.pem", tls_dir / "key.pem"
    if certificate_path.exists() and key_path.exists():
        return
    tls_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Spoonful local")])
    alternative_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        alternative_names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alternative_names.append(x509.DNSName(host))
    alternative_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(alternative_names))), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def ensure_secret_key(run_dir: Path) -> str:
    """Every process must share one key (sessions, signed links, the live transport)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = run_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def environment(run_dir: Path, *, host: str, https_port: int) -> dict[str, str]:
    site_url = _setting("SITE_URL", f"https://{host}:{https_port}")
    return {
        "DEBUG": "false",
        "SECRET_KEY": ensure_secret_key(run_dir),
        "DATABASE_URL": _setting("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spoonful"),
        "REDIS_URL": _setting("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "ALLOWED_HOSTS": _setting("ALLOWED_HOSTS", f"{host},localhost,127.0.0.1"),
        "SITE_URL": site_url,
        "CSRF_TRUSTED_ORIGINS": _setting("CSRF_TRUSTED_ORIGINS", site_url),
        "BEHIND_TLS_PROXY": "true",
        "TRUSTED_PROXY_COUNT": "1",
        "SECURE_HSTS_SECONDS": _setting("SECURE_HSTS_SECONDS", "0"),
        "SECURE_HSTS_PRELOAD": _setting("SECURE_HSTS_PRELOAD", "false"),
        "EMAIL_URL": _setting("EMAIL_URL", "consolemail://"),
        "JOB_WORKERS": _setting("JOB_WORKERS", "2"),
        "LOG_LEVEL": _setting("LOG_LEVEL", "INFO"),
        **{
            name: os.environ[name]
            for name in ("VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT")
            if name in os.environ
        },
    }


SOCKET_SERVERS = ("daphne", "uvicorn")


def socket_server() -> str:
    server = _setting("SOCKET_SERVER", "uvicorn")
    if server not in SOCKET_SERVERS:
        raise SystemExit(f"SOCKET_SERVER must be one of {', '.join(SOCKET_SERVERS)}, not {server!r}.")
    return server


def socket_command(bin_dir: Path, path: Path) -> str:
    """One socket process on a unix socket behind the proxy, served by SOCKET_SERVER."""
    if socket_server() == "uvicorn":
        # The proxy is the only client of the unix socket, so its forwarded headers are trusted.
        # No per-message deflate (daphne offers none either): compressing each frame once per socket
        # costs the fan-out CPU and each socket its own zlib state.
        return (
            f"{bin_dir / 'uvicorn'} --uds {path} --proxy-headers --forwarded-allow-ips '*' --no-access-log"
            " --ws websockets-sansio --ws-per-message-deflate false --timeout-graceful-shutdown 10"
            " spoonful.asgi:application"
        )
    return f"{bin_dir / 'daphne'} -u {path} --proxy-headers --access-log /dev/null spoonful.asgi:application"


def procfile(run_dir: Path, *, sockets: int) -> str:
    python = Path(sys.executable)
    bin_dir = python.parent
    web_workers = int(_setting("WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
    nginx = shutil.which("nginx") or "nginx"
    lines = [
        f"proxy: {nginx} -p {run_dir} -c {run_dir / 'nginx.conf'} -e stderr -g 'daemon off;'",
        # No gunicorn access log: the proxy keeps one without query strings.
        f"web: {bin_dir / 'gunicorn'} spoonful.wsgi:application --bind unix:{run_dir / 'web.sock'}"
        f" --workers {web_workers} --forwarded-allow-ips '*' --timeout 30 --graceful-timeout 20"
        " --max-requests 5000 --max-requests-jitter 500 --no-control-socket",
    ]
    lines += [f"socket{index}: {socket_command(bin_dir, run_dir / f'socket{index}.sock')}" for index in range(sockets)]
    lines.append(f"worker: {python} manage.py job_workers")
    return "\n".join(lines) + "\n"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database when the server is there and the database is not yet."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("make prod runs on PostgreSQL: set DATABASE_URL to a postgres:// address.")
    name = parts.path.lstrip("/")
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return
    except psycopg.OperationalError as error:
        if f'database "{name}" does not exist' not in str(error):
            raise SystemExit(f"PostgreSQL at {parts.hostname}:{parts.port or 5432} did not answer: {error}") from error
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    print(f"Created the PostgreSQL database {name}.")


def prepare(run_dir: Path) -> None:
    if shutil.which("nginx") is None:
        raise SystemExit(
            "make prod needs nginx (Debian/Ubuntu: apt-get install nginx-light; macOS: brew install nginx)."
        )
    host = _setting("HOST", "127.0.0.1")
    https_port = int(_setting("HTTPS_PORT", "8443"))
    http_port = int(_setting("HTTP_PORT", "8080"))
    sockets = socket_count()
    socket_server()
    run_dir.mkdir(parents=True, exist_ok=True)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "tmp" / temp).mkdir(parents=True, exist_ok=True)
    for stale in run_dir.glob("*.sock"):
        stale.unlink()
    if not os.environ.get("TLS_CERTIFICATE"):
        ensure_self_signed_certificate(run_dir / "tls", host)
    (run_dir / "nginx.conf").write_text(
        render_nginx(run_dir, bind=host, http_port=http_port, https_port=https_port, sockets=sockets)
    )
    (run_dir / "Procfile").write_text(procfile(run_dir, sockets=sockets))
    settings = environment(run_dir, host=host, https_port=https_port)
    ensure_database(settings["DATABASE_URL"])
    env_file = run_dir / "env"
    env_file.write_text("".join(f"{name}={shlex.quote(value)}\n" for name, value in settings.items()))
    env_file.chmod(0o600)
    print(f"The production layout is ready in {run_dir}: https://{host}:{https_port}/ (a self-signed certificate)")


# gunicorn lets in-flight requests finish for up to 20 s (--graceful-timeout) and a job worker
# finishes its task; honcho's own 5 s before SIGKILL would cut both short.
STOP_GRACE_SECONDS = 30


def start(run_dir: Path) -> None:
    """Run every process in the foreground until Ctrl-C or SIGTERM, which stops them all."""
    honcho.manager.KILL_WAIT = STOP_GRACE_SECONDS
    honcho.command.main(["-e", str(run_dir / "env"), "-f", str(run_dir / "Procfile"), "-d", str(ROOT), "start"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["prepare", "start"])
    parser.add_argument("--dir", default=str(ROOT / ".prod"))
    arguments = parser.parse_args()
    run_dir = Path(arguments.dir).resolve()
    if arguments.command == "prepare":
        prepare(run_dir)
    else:
        start(run_dir)


if __name__ == "__main__":
    main()
