#!/usr/bin/python3
"""Writes the seed inputs of the newer fuzz targets into fuzz/corpus/<target>/.

The seeds are well-formed inputs of every shape each target reads (built
with dnspython, an independent implementation, so they are not our own
encoder's view of the RFCs); the fuzzer grows the corpus from them and
`cargo fuzz cmin` keeps it small. tests/fuzz_corpus.rs replays the corpora
on stable. Re-running this adds nothing that is already there (names are
the SHA-1 of the content, as libFuzzer names its inputs).

Usage: fuzz/seeds.py   (needs python3-dnspython)
"""

import hashlib
import json
import os
import struct

import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.update

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORIGIN = "fz.test."


def save(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as out:
        out.write(data)


def update_seeds():
    def new():
        return dns.update.UpdateMessage(ORIGIN)

    u = new()
    u.add("new", 300, "A", "192.0.2.9")
    yield u
    u = new()
    u.add("www", 300, "A", "192.0.2.7")
    u.add("www", 300, "TXT", '"hello"')
    yield u
    u = new()
    u.delete("www", "A")  # delete an RRset
    yield u
    u = new()
    u.delete("www")  # delete every RRset at a name
    yield u
    u = new()
    u.delete("www", "A", "192.0.2.1")  # delete one record
    yield u
    u = new()
    u.delete("@", "NS")  # the apex NS set: ignored
    u.delete("@")
    yield u
    u = new()
    u.present("www")
    u.absent("nothing")
    u.present("www", "A")
    u.absent("www", "MX")
    u.add("alias2", 60, "CNAME", "www")
    yield u
    u = new()
    u.present("www", "A", "192.0.2.1")  # value-dependent prerequisite
    u.replace("www", 120, "A", "192.0.2.2", "192.0.2.3")
    yield u
    u = new()
    u.add("alias", 300, "A", "192.0.2.8")  # beside a CNAME: ignored
    u.add("@", 300, "SOA", "ns hostmaster 11 7200 3600 1209600 60")
    yield u
    u = new()
    u.add("x.sub", 300, "A", "192.0.2.10")  # below a delegation
    u.add("_sip._tcp", 300, "SRV", "10 5 5060 www")
    u.add("@", 300, "CAA", '0 issue "letsencrypt.org"')
    u.add("v6", 300, "AAAA", "2001:db8::53")
    yield u
    u = dns.update.UpdateMessage("other.test.")  # not the zone
    u.add("www", 300, "A", "192.0.2.1")
    yield u


def zone_records(serial, www):
    owner = dns.name.from_text(ORIGIN)
    soa = dns.rrset.from_text(owner, 300, "IN", "SOA",
                              f"ns.{ORIGIN} hostmaster.{ORIGIN} {serial} 7200 3600 1209600 60")
    rest = [
        dns.rrset.from_text(owner, 300, "IN", "NS", f"ns.{ORIGIN}"),
        dns.rrset.from_text(owner, 300, "IN", "MX", f"10 mail.{ORIGIN}"),
        dns.rrset.from_text("ns." + ORIGIN, 300, "IN", "A", "192.0.2.53"),
        dns.rrset.from_text("mail." + ORIGIN, 300, "IN", "A", "192.0.2.25"),
        dns.rrset.from_text("www." + ORIGIN, 300, "IN", "A", www),
    ]
    return soa, rest


def framed(messages):
    return b"".join(struct.pack("!H", len(m)) + m for m in messages)


def transfer_seeds():
    """(first octet, messages): odd asks IXFR from serial 10, even AXFR."""
    soa11, rest11 = zone_records(11, "192.0.2.11")
    soa10, _ = zone_records(10, "192.0.2.1")
    question = dns.message.make_query(ORIGIN, "AXFR")
    # AXFR in one message, and spread over three.
    reply = dns.message.make_response(question)
    reply.answer = [soa11] + rest11 + [soa11]
    yield 0, [reply.to_wire()]
    parts = [[soa11] + rest11[:2], rest11[2:], [soa11]]
    messages = []
    for part in parts:
        m = dns.message.make_response(question)
        m.answer = part
        messages.append(m.to_wire())
    yield 0, messages
    # IXFR: one difference (www changes), then two in a row.
    iq = dns.message.make_query(ORIGIN, "IXFR")
    old_www = dns.rrset.from_text("www." + ORIGIN, 300, "IN", "A", "192.0.2.1")
    new_www = dns.rrset.from_text("www." + ORIGIN, 300, "IN", "A", "192.0.2.11")
    m = dns.message.make_response(iq)
    m.answer = [soa11, soa10, old_www, soa11, new_www, soa11]
    yield 1, [m.to_wire()]
    soa12, _ = zone_records(12, "192.0.2.12")
    added = dns.rrset.from_text("new." + ORIGIN, 300, "IN", "TXT", '"added"')
    m = dns.message.make_response(iq)
    m.answer = [soa12, soa10, old_www, soa11, new_www, soa11, soa12, added, soa12]
    yield 1, [m.to_wire()]
    # Up to date: one SOA; IXFR answered as AXFR.
    m = dns.message.make_response(iq)
    m.answer = [soa10]
    yield 1, [m.to_wire()]
    m = dns.message.make_response(iq)
    m.answer = [soa11] + rest11 + [soa11]
    yield 1, [m.to_wire()]
    # A refusal.
    m = dns.message.make_response(question)
    m.set_rcode(dns.rcode.REFUSED)
    yield 0, [m.to_wire()]


def tsig_seeds():
    md5 = dns.tsig.Key("k-md5.", "MDEyMzQ1Njc4OWFiY2RlZg==", dns.tsig.HMAC_MD5)
    sha = dns.tsig.Key("k-256.", "ZmVkY2JhOTg3NjU0MzIxMA==", dns.tsig.HMAC_SHA256)
    for key in [md5, sha]:
        for qtype in ["SOA", "AXFR"]:
            q = dns.message.make_query(ORIGIN, qtype)
            q.use_tsig(key)
            yield bytes([0]) + q.to_wire()
    u = dns.update.UpdateMessage(ORIGIN)
    u.use_tsig(sha)
    u.add("new", 300, "A", "192.0.2.9")
    yield bytes([0]) + u.to_wire()
    # Mode 1: unsigned messages we sign ourselves.
    for qtype in ["SOA", "IXFR", "A"]:
        yield bytes([1]) + dns.message.make_query(ORIGIN, qtype).to_wire()
    u = dns.update.UpdateMessage(ORIGIN)
    u.delete("www", "A")
    yield bytes([1]) + u.to_wire()
    # Mode 2: a response for the client to verify (unsigned, and signed
    # by dnspython with a key the request did not use).
    q = dns.message.make_query(ORIGIN, "SOA")
    yield bytes([2]) + dns.message.make_response(q).to_wire()
    q.use_tsig(sha)
    r = dns.message.make_response(q)
    yield bytes([2]) + r.to_wire()


def config_seeds():
    for path in ["packaging/hadns.toml", "examples/hadns.toml"]:
        full = os.path.join(ROOT, path)
        if os.path.exists(full):
            with open(full) as f:
                yield f.read()
    yield 'version = 1\n[dns]\nlisten = ["127.0.0.1:5353"]\n'
    yield ('version = 1\n[node]\nname = "a"\ndata_dir = "data"\n'
           '[dns]\nlisten = ["127.0.0.1:53", "[::1]:53"]\ntcp_idle_timeout = "10s"\n'
           'tcp_max_connections = 100\ntcp_max_connections_per_client = 8\n'
           '[api]\nlisten = "127.0.0.1:8053"\ncors_origins = ["https://ui.example"]\n'
           '[replication]\nmin_refresh = 1\nmax_transfer_records = 1000\nmax_transfer_size = "64MiB"\n'
           '[[key]]\nname = "xfr"\nalgorithm = "hmac-sha256"\nsecret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"\n'
           '[[zone]]\nname = "a.test"\nfile = "a.zone"\nnotify = ["127.0.0.2:53"]\nallow_transfer = ["key xfr"]\n'
           '[[zone]]\nname = "b.test"\nrole = "secondary"\nprimaries = ["127.0.0.3:53"]\nprimary_key = "xfr"\n')
    yield ('version = 1\n[[acl]]\nname = "inside"\naddresses = ["10.0.0.0/8", "!10.9.0.0/16"]\n'
           '[[view]]\nname = "in"\nmatch_clients = ["acl inside"]\n'
           '[[view]]\nname = "out"\nmatch_clients = ["any"]\n'
           '[[zone]]\nname = "v.test"\nview = "in"\nfile = "in.zone"\n'
           '[[zone]]\nname = "v.test"\nview = "out"\nfile = "out.zone"\n')
    yield ('version = 1\n[log]\nqueries = true\nquery_file = "q.log"\nmax_size = "10MiB"\nkeep = 3\n'
           '[catalog]\nproduce = "catalog.invalid"\n'
           '[[catalog_consumer]]\nzone = "cat.invalid"\nprimaries = ["127.0.0.4:53"]\n')
    yield 'version = 2\n'
    yield '[dns]\nlisten = "not a list"\n'


def catalog_seeds():
    head = ("$ORIGIN catalog.invalid.\n$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2147483646 0\n"
            "@ NS invalid.\nversion TXT \"2\"\n")
    yield head
    yield head + "a1.zones PTR one.test.\nb2.zones PTR two.test.\ngroup.b2.zones TXT \"blue\"\n"
    yield head + "x.zones PTR one.test.\ny.zones PTR one.test.\n"  # the same zone twice
    yield head.replace('"2"', '"1"') + "a.zones PTR one.test.\n"
    yield head + "coo.a1.zones PTR other.invalid.\na1.zones PTR one.test.\n"


def api_seeds():
    rrset = {"name": "www.fz.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": "192.0.2.1", "disabled": False}]}
    patches = [
        {"rrsets": [rrset]},
        {"rrsets": [dict(rrset, changetype="DELETE", records=None)]},
        {"rrsets": [dict(rrset, changetype="EXTEND"), dict(rrset, changetype="PRUNE")],
         "comment": "why"},
        {"rrsets": [{"name": "t.fz.test.", "type": "TXT", "ttl": 60, "changetype": "replace",
                     "records": [{"content": "\"a b\" \"c\""}],
                     "comments": [{"content": "note", "account": "ops"}]}]},
        {"rrsets": [{"name": "fz.test.", "type": "MX", "ttl": 3600.0, "changetype": "REPLACE",
                     "records": [{"content": "10 mail.fz.test."}]}]},
        {"rrsets": [{"name": "relative", "type": "TYPE65280", "changetype": "REPLACE",
                     "records": [{"content": "\\# 2 abcd"}]}]},
    ]
    for p in patches:
        yield bytes([0]) + json.dumps(p).encode()
    creates = [
        {"name": "new.test.", "kind": "Native", "nameservers": ["ns1.new.test."]},
        {"name": "new.test.", "kind": "Master", "nameservers": [], "rrsets": [rrset],
         "soa_edit_api": "INCREASE", "serial": 7},
        {"name": "new.test.", "kind": "Native",
         "zone": "$ORIGIN new.test.\n@ 300 SOA ns h 1 2 3 4 5\n@ 300 NS ns\nns 300 A 192.0.2.1\n"},
        {"name": "new.test", "kind": "Slave", "masters": ["192.0.2.1"]},
    ]
    for c in creates:
        yield bytes([1]) + json.dumps(c).encode()


def main():
    for message in update_seeds():
        save("update", message.to_wire())
    for first, messages in transfer_seeds():
        save("transfer_in", bytes([first]) + framed(messages))
    for data in tsig_seeds():
        save("tsig", data)
    for text in config_seeds():
        save("config", text)
    for text in catalog_seeds():
        save("catalog", text)
    for data in api_seeds():
        save("api_json", data)


if __name__ == "__main__":
    main()
