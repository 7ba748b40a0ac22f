# Times SELECT + FETCH 1:* (BODY.PEEK[]) with Python's imaplib, straight from Dovecot (IMAPS, XOAUTH2) and
# through the bridge (LOGIN), for bench/bridge.rs: one JSON object of arguments on stdin, milliseconds out.
import imaplib
import json
import ssl
import sys
import time

a = json.loads(sys.stdin.read())


def fetch(m):
    began = time.perf_counter()
    m.select("INBOX", readonly=True)
    typ, data = m.fetch("1:*", "(BODY.PEEK[])")
    took = (time.perf_counter() - began) * 1000
    count = sum(1 for d in data if isinstance(d, tuple))
    m.logout()
    return took, count


ctx = ssl.create_default_context(cafile=a["ca"])
out = {"direct": [], "bridge": []}
for _ in range(a["runs"]):
    m = imaplib.IMAP4_SSL("localhost", a["direct_port"], ssl_context=ctx)
    auth = "user=%s\x01auth=Bearer %s\x01\x01" % (a["user"], a["token"])
    m.authenticate("XOAUTH2", lambda _: auth.encode())
    took, count = fetch(m)
    assert count == a["expect"], count
    out["direct"].append(took)
    m = imaplib.IMAP4("127.0.0.1", a["bridge_port"])
    m.login(a["user"], a["password"])
    took, count = fetch(m)
    assert count == a["expect"], count
    out["bridge"].append(took)
print(json.dumps(out))
