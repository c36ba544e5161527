"""A real SMTP server for crates/roster/tests/email.rs (aiosmtpd, Debian python3-aiosmtpd).

Usage: smtp_sink.py PORT DIR [--reject-auth | --accept-auth USER:PASSWORD]

Each message received is written to DIR as N.eml (the bytes as received) and N.json (the
envelope, the headers, and the decoded text/plain and text/html parts), N.eml first, N.json
last and renamed into place, so a reader that sees N.json sees a whole message. With
--reject-auth the server requires AUTH (over plain text, as a test relay may) and refuses every
credential with 535, as a relay with a wrong password does. With --accept-auth it accepts that one
user and password (and refuses others with 535), and records the user a message was sent as in
N.json's "authLogin". Prints READY once it listens.
"""

import email
import email.policy
import json
import os
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.directory, f"{time.time_ns()}-{self.count}")
        raw = envelope.original_content or envelope.content
        with open(stem + ".eml", "wb") as f:
            f.write(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {"text/plain": "", "text/html": ""}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in parts and not part.is_multipart():
                parts[kind] = part.get_content()
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "headers": [[k, str(v)] for k, v in message.items()],
            "text": parts["text/plain"],
            "html": parts["text/html"],
            "authLogin": session.auth_data if isinstance(session.auth_data, str) else None,
        }
        with open(stem + ".json.tmp", "w") as f:
            json.dump(record, f)
        os.rename(stem + ".json.tmp", stem + ".json")
        return "250 Message accepted"


def refuse(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


def accepting(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", b"") or b""
        secret = getattr(auth_data, "password", b"") or b""
        if login == user.encode() and secret == password.encode():
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    return check


def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    reject = "--reject-auth" in sys.argv[3:]
    os.makedirs(directory, exist_ok=True)
    kwargs = {}
    if reject:
        kwargs = dict(authenticator=refuse, auth_required=True, auth_require_tls=False)
    if "--accept-auth" in sys.argv[3:]:
        user, password = sys.argv[sys.argv.index("--accept-auth") + 1].split(":", 1)
        kwargs = dict(
            authenticator=accepting(user, password), auth_required=True, auth_require_tls=False
        )
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("READY", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
