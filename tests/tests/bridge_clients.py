# Real mail clients from Python's standard library (imaplib, poplib, smtplib) driven by tests/tests/bridge.rs:
# one JSON object of arguments on stdin, one JSON object of results on stdout. Errors are results too.
import hashlib
import imaplib
import json
import poplib
import smtplib
import socket
import ssl
import sys
import time

TIMEOUT = 30


def tls_context(a):
    """Pins the LAN certificate by its SHA-256 fingerprint, as a user compares it on a device."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def check_pin(sock, a):
    if a.get("fingerprint"):
        der = sock.getpeercert(binary_form=True)
        got = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
        if got != a["fingerprint"]:
            raise Exception("certificate fingerprint mismatch: " + got)


def imap(a):
    out = {}
    if a.get("ssl"):
        m = imaplib.IMAP4_SSL(a["host"], a["port"], ssl_context=tls_context(a), timeout=TIMEOUT)
        check_pin(m.sock, a)
    else:
        m = imaplib.IMAP4(a["host"], a["port"], timeout=TIMEOUT)
    out["capabilities"] = sorted(m.capabilities)
    if a.get("starttls"):
        m.starttls(ssl_context=tls_context(a))
        check_pin(m.sock, a)
    try:
        if a.get("method") == "plain":
            user, password = a["user"], a["password"]
            typ, data = m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode())
        else:
            typ, data = m.login(a["user"], a["password"])
    except imaplib.IMAP4.error as e:
        out["ok"] = False
        out["error"] = str(e)
        return out
    out["login"] = [typ, [d.decode(errors="replace") for d in data if isinstance(d, bytes)]]
    typ, data = m.select("INBOX", readonly=True)
    out["exists"] = int(data[0])
    if a.get("subject"):
        deadline = time.time() + a.get("wait", 15)
        found = []
        while time.time() < deadline:
            m.noop()
            typ, data = m.search(None, "SUBJECT", '"%s"' % a["subject"])
            found = data[0].split()
            if found:
                break
            time.sleep(0.3)
        out["found"] = len(found)
        if found:
            typ, data = m.fetch(found[-1], "(BODY.PEEK[])")
            out["message"] = data[0][1].decode(errors="replace")
    if a.get("hold_seconds"):
        time.sleep(a["hold_seconds"])
        typ, _ = m.noop()
        out["noop_after_hold"] = typ
    m.logout()
    out["ok"] = True
    return out


def pop(a):
    out = {}
    if a.get("ssl"):
        p = poplib.POP3_SSL(a["host"], a["port"], context=tls_context(a), timeout=TIMEOUT)
        check_pin(p.sock, a)
    else:
        p = poplib.POP3(a["host"], a["port"], timeout=TIMEOUT)
    out["greeting"] = p.getwelcome().decode(errors="replace")
    if a.get("starttls"):
        p.stls(context=tls_context(a))
        check_pin(p.sock, a)
    try:
        p.user(a["user"])
        p.pass_(a["password"])
    except poplib.error_proto as e:
        out["ok"] = False
        out["error"] = str(e)
        return out
    count, size = p.stat()
    out["count"] = count
    messages = []
    for i in range(1, count + 1):
        resp, lines, octets = p.retr(i)
        messages.append(b"\r\n".join(lines).decode(errors="replace"))
    out["subjects"] = [
        line[len("Subject: "):] for m in messages for line in m.split("\r\n") if line.startswith("Subject: ")
    ]
    p.quit()
    out["ok"] = True
    return out


def smtp(a):
    out = {}
    if a.get("ssl"):
        s = smtplib.SMTP_SSL(a["host"], a["port"], context=tls_context(a), timeout=TIMEOUT)
        check_pin(s.sock, a)
    else:
        s = smtplib.SMTP(a["host"], a["port"], timeout=TIMEOUT)
    s.ehlo("bridge-test")
    if a.get("starttls"):
        s.starttls(context=tls_context(a))
        check_pin(s.sock, a)
        s.ehlo("bridge-test")
    out["auth_offered"] = s.has_extn("auth")
    try:
        s.user, s.password = a["user"], a["password"]
        if a.get("method") == "LOGIN":
            code, resp = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        else:
            code, resp = s.auth("PLAIN", s.auth_plain)
        out["auth"] = code
    except (smtplib.SMTPException, smtplib.SMTPAuthenticationError) as e:
        out["ok"] = False
        out["error"] = str(e)
        out["code"] = getattr(e, "smtp_code", None)
        return out
    message = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n" % (
        a["from"], a["to"], a["subject"], a.get("body", "Sent through the Mailgrant bridge."))
    try:
        refused = s.sendmail(a["from"], [a["to"]], message)
        out["refused"] = list(refused)
    except smtplib.SMTPSenderRefused as e:
        out["ok"] = False
        out["error"] = str(e)
        out["code"] = e.smtp_code
        s.quit()
        return out
    s.quit()
    out["ok"] = True
    return out


def raw(a):
    """Sends bytes and returns what came back until the server closed or went quiet (0.3 s, or "quiet")."""
    sock = socket.create_connection((a["host"], a["port"]), timeout=5)
    got = b""
    try:
        got += sock.recv(4096)
        sock.sendall(bytes.fromhex(a["hex"]))
        sock.settimeout(a.get("quiet", 0.3))
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    sock.close()
    return {"ok": True, "reply": got.decode(errors="replace")}


def main():
    a = json.loads(sys.stdin.read())
    try:
        result = {"imap": imap, "pop": pop, "smtp": smtp, "raw": raw}[a["client"]](a)
    except Exception as e:  # noqa: BLE001 - every failure is a result for the test to judge
        result = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(result))


main()
