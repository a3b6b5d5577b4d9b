"""Who is asking: optional sign-in for the app, from a password file or a proxy's header.

The password file holds one user a line, `name:scrypt$N$r$p$salt$hash` (salt and hash in
base64; `#` starts a comment). Passwords are never stored, only their scrypt hashes
(`hashlib.scrypt`, the standard library's memory-hard key derivation). Add or change a user:

    talk2model passwd alice --file /etc/talk2model/users      # asks for the password twice

The app reads the file named by `--auth-file` or `$TALK2MODEL_AUTH_FILE` and signs people in
with Gradio's own login page. Behind a proxy that authenticates people itself, the app can
instead take the user name from a header the proxy sets (`--auth-header X-Forwarded-User`):
only do that when nothing but the proxy can reach the app.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import re
import sys
from pathlib import Path
from typing import Callable

ENV_AUTH_FILE = "TALK2MODEL_AUTH_FILE"
ENV_AUTH_HEADER = "TALK2MODEL_AUTH_HEADER"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")

ERR_NO_FILE = "the password file {path} does not exist; create it with `talk2model passwd USER --file {path}`"
ERR_LINE = "the password file {path}, line {line}: expected name:scrypt$N$r$p$salt$hash"
ERR_EMPTY = "the password file {path} has no users; add one with `talk2model passwd USER --file {path}`"
ERR_USER_NAME = "a user name is 1-64 letters, digits or . _ @ -, not {name!r}"


class AuthError(Exception):
    """The password file cannot be used; the message says how to fix it."""


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def read_users(path: str | Path) -> dict[str, str]:
    """name -> stored hash, from a password file; AuthError says what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise AuthError(ERR_NO_FILE.format(path=path))
    users: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not USER_NAME.fullmatch(name) or stored.count("$") != 5:
            raise AuthError(ERR_LINE.format(path=path, line=number))
        users[name] = stored
    if not users:
        raise AuthError(ERR_EMPTY.format(path=path))
    return users


def password_checker(path: str | Path) -> Callable[[str, str], bool]:
    """Gradio's `auth` callable: (user name, password) -> signed in? The file is read once."""
    users = read_users(path)
    dummy = hash_password("", salt=b"talk2model-dummy")

    def check(name: str, password: str) -> bool:
        stored = users.get(name)
        ok = verify_password(password, stored or dummy)  # same work for unknown names
        return ok and stored is not None

    return check


def header_user(header: str) -> Callable:
    """Gradio's `auth_dependency`: the user name from a header set by an authenticating proxy;
    a request without it is refused (401)."""
    def user(request) -> str | None:
        value = (request.headers.get(header) or "").strip()
        return value[:200] or None

    return user


def set_password(path: str | Path, name: str, password: str) -> None:
    """Add `name` to the password file, or change its password (the file is created if needed)."""
    if not USER_NAME.fullmatch(name):
        raise AuthError(ERR_USER_NAME.format(name=name))
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    entry = f"{name}:{hash_password(password)}"
    kept = [line for line in lines if line.partition(":")[0].strip() != name]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(kept + [entry]) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="talk2model passwd",
                                     description="Add a user to the app's password file, or change a password.")
    parser.add_argument("user")
    parser.add_argument("--file", default=os.environ.get(ENV_AUTH_FILE),
                        help=f"the password file (default ${ENV_AUTH_FILE})")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    args = parser.parse_args(argv)
    if not args.file:
        parser.error(f"give --file or set {ENV_AUTH_FILE}")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.user}: ")
        if password != getpass.getpass("again: "):
            print("the two passwords differ; nothing changed", file=sys.stderr)
            return 1
    if len(password) < 8:
        print("use a password of at least 8 characters; nothing changed", file=sys.stderr)
        return 1
    try:
        set_password(args.file, args.user, password)
    except AuthError as exc:
        print(f"talk2model passwd: {exc}", file=sys.stderr)
        return 2
    print(f"{args.user} can now sign in (file {args.file})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
