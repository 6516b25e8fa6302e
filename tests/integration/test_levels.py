#!/usr/bin/env python3
"""Privacy levels inside the store (docs/PRIVACY.md).

After `trove import --snaplen 0` of a few shared traces (one import each):
  * every raw segment has exactly one scrubbed child and that child one
    scrambled child (catalogue level / parent_id; `trove ls --level`), and
    their section headers (capinfos) carry trove.level, trove.parent and,
    for scrambled, trove.key_epoch;
  * tshark reads every derived segment without `_ws.malformed`;
  * no IPv4 address of the input (tshark -T fields) appears in the bytes of
    the scrambled segment;
  * the scrambled addresses equal `traceanon -s -d -f KEY` on the input, KEY
    being the level's derived key (hidden `trove keys derive`); another
    epoch's key gives other addresses;
  * two stores with the same master key derive the same packets;
  * `trove unmask` returns the original of a pseudonym inside the owner's
    prefix and refuses (exit 3) every other one, revealing nothing;
  * the master key is 0600 in a 0700 directory and its bytes appear nowhere
    in catalog.db, the segments, the reverse maps or stderr;
  * `fsck --rebuild-catalog` restores level and parent.
"""

import hashlib
import hmac
import json
import os
import shutil
import socket
import stat
import sys
import time
from pathlib import Path

import trove_it as it
from trove_it import check, check_eq

TRACES = ["ndpi_ftp.pcap", "tcpdump_ssh.pcap", "ndpi_http_ipv6.pcap"]
OWNER = "campus"
OWNER_PREFIX = "192.168.1.0/24"   # ndpi_ftp's client 192.168.1.212
OWNER_ADDR = "192.168.1.212"


def add_owner(store):
    with open(store.path / "trove.toml", "a") as f:
        f.write(f'\n[[owner]]\nname = "{OWNER}"\nprefixes = ["{OWNER_PREFIX}", "2001:db8:1::/48"]\n')


def import_all(store):
    """Imports TRACES one by one; checks each import's `levels` summary
    (--json) against the segments it published: two derived segments (one
    scrubbed, one scrambled) per raw one, no error."""
    errs = []
    for t in TRACES:
        p = store.run("import", "--snaplen", "0", "--json", it.SHARED_PCAPS / t)
        errs.append(p.stderr)
        doc = it.parse_json(p.stdout, f"trove import --json {t}")
        lv = doc.get("levels") or {}
        check_eq(lv.get("errors"), 0, f"{t}: derivation errors")
        check_eq(lv.get("segments"), 2 * len(doc["segments"]), f"{t}: derived segments")
        n = doc["packets_stored"]
        check(n <= lv.get("packets_in", -1) <= 2 * n,
              f"{t}: the two derivations read {lv.get('packets_in')} packets of {n}")
        check_eq(lv.get("packets_out"), lv.get("packets_in", 0) - lv.get("packets_dropped", 0),
                 f"{t}: packets written by the derivations")
    return errs


def by_level(store):
    segs = store.ls("--level", "any")
    out = {}
    for s in segs:
        out.setdefault(s["level"], []).append(s)
    return segs, out


def shb_comments(path):
    p = it.run(["capinfos", path], check_rc=None)
    kv = {}
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("Capture comment:"):
            c = line.split(":", 1)[1].strip()
            if c.startswith("trove.") and "=" in c:
                k, v = c[6:].split("=", 1)
                kv[k] = v
    return kv


def ipv4_fields(path):
    p = it.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=f",
                "-e", "ip.src", "-e", "ip.dst"], check_rc=None, timeout=600)
    check(p.returncode == 0, f"tshark could not read {path}: {p.stderr[-500:]}")
    rows = []
    for line in p.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0]:
            rows.append((parts[0], parts[1]))
    return rows


def derive_key(store, level, epoch, out):
    store.run("keys", "derive", "--level", level, "--epoch", epoch, "--out", out)
    check_eq(stat.S_IMODE(os.stat(out).st_mode), 0o600, f"mode of derived key {out}")
    return Path(out).read_bytes()


def hkdf_key(master: bytes, info: str) -> bytes:
    """Independent HKDF-SHA256 (RFC 5869), 32 bytes, salt trove-anon-v1."""
    prk = hmac.new(b"trove-anon-v1", master, hashlib.sha256).digest()
    return hmac.new(prk, info.encode() + b"\x01", hashlib.sha256).digest()


def trace_years(paths):
    years = set()
    for p in paths:
        for r in it.read_packets(p):
            years.add(time.gmtime(r[0] // 1_000_000_000).tm_year)
    return years


def use_traceanon_friendly_master(store, paths):
    """Replaces the new store's master key by one whose derived IP keys for
    the traces' years have no zero byte (traceanon -f stops at a zero byte)."""
    years = trace_years(paths)
    while True:
        master = os.urandom(32)
        if all(b"\0" not in hkdf_key(master, f"ip/scrambled/{y}") for y in years):
            break
    key = store.path / "keys" / "master.key"
    key.unlink()
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, (master.hex() + "\n").encode())
    os.close(fd)
    return master


def traceanon(src, key, out):
    it.run(["traceanon", "-s", "-d", "-f", key, src, f"pcapfile:{out}"], timeout=600)
    return ipv4_fields(out)


@it.case
def children_headers_and_tshark():
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        import_all(store)
        segs, lv = by_level(store)
        raws = lv.get("raw", [])
        check_eq(len(raws), len(TRACES), "raw segments (one per import)")
        check_eq(sorted(s["id"] for s in store.ls()), sorted(s["id"] for s in raws),
                 "`trove ls` lists raw segments by default")
        check_eq(sorted(s["id"] for s in store.ls("--level", "scrambled")),
                 sorted(s["id"] for s in lv.get("scrambled", [])), "`trove ls --level scrambled`")
        for raw in raws:
            kids = [s for s in lv.get("scrubbed", []) if s["parent_id"] == raw["id"]]
            check_eq(len(kids), 1, f"scrubbed children of {raw['name']}")
            scrub = kids[0]
            check_eq(scrub["name"], raw["name"] + ".scrubbed", "scrubbed name")
            grand = [s for s in lv.get("scrambled", []) if s["parent_id"] == scrub["id"]]
            check_eq(len(grand), 1, f"scrambled children of {scrub['name']}")
            scr = grand[0]
            check_eq(scr["name"], scrub["name"] + ".scrambled", "scrambled name")
            check_eq(scrub["packets"], raw["packets"], f"packets of {scrub['name']}")
            check(scr["packets"] == scrub["packets"], f"packets of {scr['name']}")
            c = shb_comments(scrub["path"])
            check_eq((c.get("level"), c.get("parent"), c.get("key_epoch")),
                     ("scrubbed", raw["name"], None), f"SHB comments of {scrub['path']}")
            c = shb_comments(scr["path"])
            check_eq((c.get("level"), c.get("parent")), ("scrambled", scrub["name"]),
                     f"SHB comments of {scr['path']}")
            check(c.get("key_epoch", "").isdigit(), f"key_epoch of {scr['path']}: {c}")
            for s in (scrub, scr):
                p = it.run(["tshark", "-n", "-r", s["path"], "-Y", "_ws.malformed"],
                           check_rc=None, timeout=600)
                check(p.returncode == 0 and p.stdout.strip() == "",
                      f"tshark finds malformed packets in {s['path']}: {p.stdout[:800]}")
        store.assert_consistent("after deriving levels")

        # fsck --rebuild-catalog restores level and parent.
        before = {s["name"]: s for s in segs}
        store.run("fsck", "--rebuild-catalog")
        after = {s["name"]: s for s in store.ls("--level", "any")}
        check_eq(sorted(after), sorted(before), "segment names after rebuild")
        names = {s["id"]: s["name"] for s in after.values()}
        for n, s in after.items():
            check_eq(s["level"], before[n]["level"], f"level of {n} after rebuild")
            if s["level"] != "raw":
                check_eq(names.get(s["parent_id"]), n[: n.rindex(".")],
                         f"parent of {n} after rebuild")


@it.case
def no_leak_and_traceanon_oracle():
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        master = use_traceanon_friendly_master(store, [it.SHARED_PCAPS / t for t in TRACES])
        import_all(store)
        _, lv = by_level(store)
        scrubbed = {s["id"]: s for s in lv["scrubbed"]}
        raws = {s["id"]: s for s in lv["raw"]}
        compared = with_v4 = 0
        for scr in lv["scrambled"]:
            raw = raws[scrubbed[scr["parent_id"]]["parent_id"]]
            src = None
            for t in TRACES:
                if it.capinfos_count(it.SHARED_PCAPS / t) == raw["packets"]:
                    src = it.SHARED_PCAPS / t
            check(src is not None, f"no input trace for {raw['name']}")
            inp = ipv4_fields(src)
            addrs = {a for row in inp for a in row} - {"0.0.0.0", "255.255.255.255"}
            data = Path(scr["path"]).read_bytes()
            for a in addrs:
                check(socket.inet_aton(a) not in data,
                      f"input address {a} appears in scrambled segment {scr['path']}")
            if not inp:
                continue  # IPv6 only: traceanon -s -d does not scramble IPv6
            with_v4 += 1
            epoch = shb_comments(scr["path"])["key_epoch"]
            key = tmp / f"key-{scr['id']}"
            kb = derive_key(store, "scrambled", epoch, key)
            check_eq(kb.hex(), hkdf_key(master, f"ip/scrambled/{epoch}").hex(),
                     "trove keys derive vs an independent HKDF")
            got = set(ipv4_fields(scr["path"]))
            want = set(traceanon(src, key, tmp / f"ta-{scr['id']}.pcap"))
            check_eq(got, want, f"scrambled IPv4 addresses of {src.name} vs traceanon")
            compared += 1
            other = tmp / f"key-other-{scr['id']}"
            ob = derive_key(store, "scrambled", str(int(epoch) + 1), other)
            check(ob != kb, "keys of different epochs differ")
            if b"\0" not in ob:
                diff = set(traceanon(src, other, tmp / f"tb-{scr['id']}.pcap"))
                check(diff != got, "another epoch's key gives the same pseudonyms")
        check(compared == with_v4 > 0, "every IPv4 scrambled segment compared with traceanon")


@it.case
def same_master_same_packets():
    with it.tempdir() as tmp:
        a = it.new_store(tmp, "a")
        b = it.new_store(tmp, "b")
        (b.path / "keys" / "master.key").unlink()
        shutil.copy2(a.path / "keys" / "master.key", b.path / "keys" / "master.key")
        for s in (a, b):
            s.run("import", "--snaplen", "0", it.SHARED_PCAPS / TRACES[0])
        pa = [it.read_packets(s["path"]) for s in a.ls("--level", "scrambled")]
        pb = [it.read_packets(s["path"]) for s in b.ls("--level", "scrambled")]
        check(len(pa) == 1 and pa == pb, "scrambled packets differ between stores with one key")


@it.case
def unmask_owner_only():
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        add_owner(store)
        store.run("import", "--snaplen", "0", it.SHARED_PCAPS / TRACES[0])
        scr = store.ls("--level", "scrambled")
        check_eq(len(scr), 1, "scrambled segments")
        pseud = sorted({a for row in ipv4_fields(scr[0]["path"]) for a in row})
        check(len(pseud) >= 2, f"expected several addresses, got {pseud}")
        p = store.run("unmask", "--owner", OWNER, "--level", "scrambled", "--json", *pseud,
                      check_rc=3)
        res = json.loads(p.stdout)
        check_eq(len(res), len(pseud), "one answer per pseudonym")
        hits = [r for r in res if "original" in r]
        check_eq([r["original"] for r in hits], [OWNER_ADDR], "unmasked originals")
        for r in res:
            if "original" not in r:
                check_eq(sorted(r), ["error", "pseudonym"], "a refusal reveals nothing else")
                check_eq(r["error"], f"not in owner {OWNER}'s prefixes", "refusal text")
        mine = hits[0]["pseudonym"]
        epoch = shb_comments(scr[0]["path"])["key_epoch"]
        p = store.run("unmask", "--owner", OWNER, "--epoch", epoch, mine)
        check(OWNER_ADDR in p.stdout, f"unmask --epoch: {p.stdout}")
        p = store.run("unmask", "--owner", OWNER, "--epoch", str(int(epoch) + 1), mine,
                      check_rc=3)
        check(OWNER_ADDR not in p.stdout, "another epoch does not unmask")
        other = [a for a in pseud if a != mine][0]
        p = store.run("unmask", "--owner", OWNER, other, check_rc=3)
        check_eq(p.stdout.strip(), f"{other}: not in owner {OWNER}'s prefixes", "refusal")
        # Only the owner's address is recorded.
        maps = sorted((store.path / "keys" / "reverse").glob("*.map"))
        check_eq([m.name for m in maps], [f"scrambled-{epoch}.map"], "reverse maps")
        check_eq(maps[0].stat().st_size, 63, "one record in the reverse map")
        check_eq(stat.S_IMODE(maps[0].stat().st_mode), 0o600, "reverse map mode")


@it.case
def master_key_stays_secret():
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        add_owner(store)
        errs = import_all(store)
        kdir = store.path / "keys"
        key = kdir / "master.key"
        check_eq(stat.S_IMODE(kdir.stat().st_mode), 0o700, "keys/ mode")
        check_eq(stat.S_IMODE(key.stat().st_mode), 0o600, "master.key mode")
        hexkey = key.read_text().strip()
        raw = bytes.fromhex(hexkey)
        needles = [hexkey.encode(), hexkey.upper().encode(), raw, raw[:16]]
        files = [p for p in store.path.rglob("*") if p.is_file() and p != key]
        check(any(p.name == "catalog.db" for p in files), "catalog.db found")
        for p in files:
            data = p.read_bytes()
            for n in needles:
                check(n not in data, f"master key bytes found in {p}")
        for e in errs:
            for n in needles[:2]:
                check(n.decode() not in e, "master key in stderr")


if __name__ == "__main__":
    missing = [t for t in ("tshark", "capinfos", "traceanon") if not shutil.which(t)]
    if missing:
        print(f"SKIP levels: missing {missing}\n0 passed, 0 failed, 1 skipped")
        sys.exit(0)
    sys.exit(it.main())
