#!/usr/bin/python3
"""The HA labs' client side (standard library only).

    labtool.py probe --server VIP --qname NAME --out FILE [--interval 0.01]
                     [--timeout 0.2] [--duration SECONDS]
        Sends one UDP query (A, with an EDNS NSID request) every INTERVAL
        seconds, without waiting for the previous answer, and writes one
        line per query: `SENT_UNIX_TIME ok|lost NSID ANSWER`. A query is
        lost when no reply arrives within TIMEOUT. Runs until DURATION
        (bounded: at most 10 minutes) or until FILE.stop exists.

    labtool.py window --log FILE --since T [--until T2]
        Summarises the queries sent in [T, T2): how many, how many lost,
        and the time from T to the last lost one (ms; 0 when none lost).

    labtool.py first --log FILE --since T --nsid ID --answer A
        Milliseconds from T to the first query sent after T that ID
        answered with A (the reply's NSID and A record); -1 if none.

    labtool.py wait-first --log FILE --since T --answer A --nsids ID,ID
                          [--limit SECONDS]
        Waits (polling the log, at most LIMIT seconds) until every ID has
        answered A to a query sent after T; prints the milliseconds from T
        to the later first such answer, or -1.

    labtool.py api METHOD URL TOKEN [JSON]
        One HTTP request with X-API-Key; prints `sent=UNIX_TIME status=CODE`
        (when the request left), then the body; exits 1 unless 2xx.
"""

import json
import os
import select
import socket
import struct
import sys
import time
import urllib.request


def build_query(qid, qname):
    header = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1)
    labels = b"".join(
        bytes([len(p)]) + p.encode() for p in qname.rstrip(".").split(".") if p
    )
    question = labels + b"\0" + struct.pack(">HH", 1, 1)
    # OPT: payload 1232, with an empty NSID option (RFC 5001).
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 4) + struct.pack(">HH", 3, 0)
    return header + question + opt


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += n + 1


def parse_reply(msg):
    """(rcode, first A address or '-', NSID or '-'); raises on garbage."""
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    address = "-"
    nsid = "-"
    for section, count in (("an", an), ("ns", ns), ("ar", ar)):
        for _ in range(count):
            i = skip_name(msg, i)
            rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[i : i + 10])
            i += 10
            rdata = msg[i : i + rdlen]
            i += rdlen
            if section == "an" and rtype == 1 and rdlen == 4 and address == "-":
                address = socket.inet_ntoa(rdata)
            if rtype == 41:
                j = 0
                while j + 4 <= len(rdata):
                    code, length = struct.unpack(">HH", rdata[j : j + 4])
                    if code == 3:
                        nsid = rdata[j + 4 : j + 4 + length].decode(errors="replace")
                    j += 4 + length
    return flags & 0xF, address, nsid


def probe(args):
    server = args["--server"]
    qname = args["--qname"]
    out = args["--out"]
    interval = float(args.get("--interval", "0.01"))
    timeout = float(args.get("--timeout", "0.2"))
    duration = min(float(args.get("--duration", "600")), 600.0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    pending = {}  # id -> sent time
    qid = 0
    start = time.time()
    next_send = start
    with open(out, "w", buffering=1) as log:
        while time.time() - start < duration and not os.path.exists(out + ".stop"):
            now = time.time()
            if now >= next_send:
                qid = (qid + 1) & 0xFFFF
                if qid in pending:
                    # Wrapped around onto a query still pending: lost.
                    log.write(f"{pending.pop(qid):.6f} lost - -\n")
                try:
                    sock.sendto(build_query(qid, qname), (server, 53))
                    pending[qid] = now
                except OSError:
                    log.write(f"{now:.6f} lost - -\n")
                next_send += interval
            readable, _, _ = select.select([sock], [], [], max(0.0, min(next_send - time.time(), 0.005)))
            if readable:
                try:
                    msg, source = sock.recvfrom(4096)
                except OSError:
                    continue
                if source[0] != server or len(msg) < 12:
                    continue
                rid = struct.unpack(">H", msg[:2])[0]
                sent = pending.pop(rid, None)
                if sent is None:
                    continue
                try:
                    rcode, address, nsid = parse_reply(msg)
                except (IndexError, struct.error):
                    log.write(f"{sent:.6f} lost - garbage\n")
                    continue
                if rcode == 0 and address != "-":
                    log.write(f"{sent:.6f} ok {nsid} {address}\n")
                else:
                    log.write(f"{sent:.6f} lost {nsid} rcode={rcode}\n")
            now = time.time()
            for rid, sent in list(pending.items()):
                if now - sent > timeout:
                    del pending[rid]
                    log.write(f"{sent:.6f} lost - timeout\n")


def read_log(path, since, until):
    rows = []
    with open(path) as log:
        for line in log:
            parts = line.split()
            if len(parts) < 4:
                continue
            t = float(parts[0])
            if since <= t < until:
                rows.append((t, parts[1], parts[2], parts[3]))
    rows.sort()
    return rows


def window(args):
    since = float(args["--since"])
    until = float(args.get("--until", "1e12"))
    rows = read_log(args["--log"], since, until)
    lost = [t for t, status, _, _ in rows if status == "lost"]
    last = (max(lost) - since) * 1000 if lost else 0.0
    print(f"sent={len(rows)} lost={len(lost)} last_loss_ms={last:.0f}")


def first(args):
    since = float(args["--since"])
    rows = read_log(args["--log"], since, 1e12)
    for t, status, nsid, answer in rows:
        if status == "ok" and nsid == args["--nsid"] and answer == args["--answer"]:
            print(f"{(t - since) * 1000:.0f}")
            return
    print("-1")


def wait_first(args):
    since = float(args["--since"])
    answer = args["--answer"]
    nsids = args["--nsids"].split(",")
    deadline = time.time() + min(float(args.get("--limit", "10")), 120.0)
    while True:
        firsts = {}
        for t, status, nsid, got in read_log(args["--log"], since, 1e12):
            if status == "ok" and got == answer and nsid in nsids and nsid not in firsts:
                firsts[nsid] = t
        if len(firsts) == len(nsids):
            print(f"{(max(firsts.values()) - since) * 1000:.0f}")
            return
        if time.time() > deadline:
            print("-1")
            return
        time.sleep(0.02)


def api(argv):
    method, url, token = argv[:3]
    body = argv[3].encode() if len(argv) > 3 else None
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("X-API-Key", token)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    sent = time.time()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(f"sent={sent:.6f} status={response.status}")
            print(response.read().decode(errors="replace"))
            return 0
    except urllib.error.HTTPError as e:
        print(f"sent={sent:.6f} status={e.code}")
        print(e.read().decode(errors="replace"))
        return 1


def options(argv):
    parsed = {}
    for i in range(0, len(argv) - 1, 2):
        parsed[argv[i]] = argv[i + 1]
    return parsed


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "probe":
        probe(options(rest))
    elif command == "window":
        window(options(rest))
    elif command == "first":
        first(options(rest))
    elif command == "wait-first":
        wait_first(options(rest))
    elif command == "api":
        return api(rest)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
