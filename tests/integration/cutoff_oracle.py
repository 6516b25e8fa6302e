"""The cutoff oracle shared by the cutoff and live-query tests: the stored
length of every packet of a trace under a per-connection cutoff, recomputed
from `tshark -T fields` alone (no trove code). Connections are keyed as
docs/CONFIG.md documents (bidirectional 5-tuple, ICMP type/code/echo id,
fragments by (src, dst, IP id) of the first fragment, else per host pair);
a packet is whole while the connection's captured bytes including it are
<= the cutoff, SYN/FIN/RST always, otherwise its first 64 bytes."""

import ipaddress

import trove_it as it

TIMEOUT = {"tcp": 300.0, "udp": 60.0, "icmp": 60.0, "other": 60.0}
FRAG_TIMEOUT = 30.0
FIELDS = ["frame.time_epoch", "frame.cap_len", "frame.protocols",
          "ip.src", "ip.dst", "ip.proto", "ip.id", "ip.flags.mf", "ip.frag_offset",
          "ipv6.src", "ipv6.dst", "ipv6.fraghdr.ident", "ipv6.fraghdr.more",
          "ipv6.fraghdr.offset", "tcp.srcport", "tcp.dstport", "tcp.flags",
          "udp.srcport", "udp.dstport", "icmp.type", "icmp.code", "icmp.ident",
          "icmpv6.type", "icmpv6.code", "icmpv6.echo.identifier"]

_TSHARK: dict = {}


def tshark_rows(path):
    if path not in _TSHARK:
        cmd = ["tshark", "-r", path, "-n", "-o", "ip.defragment:FALSE",
               "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "occurrence=f",
               "-E", "separator=\t"]
        for f in FIELDS:
            cmd += ["-e", f]
        p = it.run(cmd, timeout=600)
        _TSHARK[path] = [dict(zip(FIELDS, line.split("\t"))) for line in p.stdout.splitlines()]
    return _TSHARK[path]


def num(s, base=10):
    return int(s, 0) if s.startswith("0x") else int(s, base)


def packet_key(r, frags, ts):
    """(connection key, proto group, is TCP control) or (None, ...)."""
    chain = r["frame.protocols"].split(":")
    ip_at = next((i for i, p in enumerate(chain) if p in ("ip", "ipv6")), None)
    if ip_at is None or not (r["ip.src"] or r["ipv6.src"]):
        return None, None, False
    v6 = chain[ip_at] == "ipv6"
    src = ipaddress.ip_address(r["ipv6.src" if v6 else "ip.src"]).packed
    dst = ipaddress.ip_address(r["ipv6.dst" if v6 else "ip.dst"]).packed
    pair = tuple(sorted((src, dst)))
    rest = [p for p in chain[ip_at + 1:] if not p.startswith("ipv6.") or p == "ipv6.fraghdr"]
    if v6:
        is_frag = bool(r["ipv6.fraghdr.ident"])
        off = num(r["ipv6.fraghdr.offset"]) if is_frag else 0
        more = r["ipv6.fraghdr.more"] in ("1", "True")
        fid = num(r["ipv6.fraghdr.ident"]) if is_frag else 0
        is_frag = is_frag and (more or off != 0)
        rest = [p for p in rest if p != "ipv6.fraghdr"]
    else:
        off = num(r["ip.frag_offset"] or "0")
        more = r["ip.flags.mf"] in ("1", "True")
        fid = num(r["ip.id"] or "0")
        is_frag = more or off != 0
    l4 = rest[0] if rest else ""
    fkey = (v6, src, dst, fid)
    if is_frag and off != 0:  # non-first fragment
        hit = frags.get(fkey)
        if hit and 0 <= ts - hit[1] <= FRAG_TIMEOUT:
            return hit[0], hit[2], False
        return ("frag", v6, pair), "other", False
    control = False
    if l4 in ("tcp", "udp") and r[f"{l4}.srcport"]:
        sp, dp = int(r[f"{l4}.srcport"]), int(r[f"{l4}.dstport"])
        key = (l4, v6, tuple(sorted(((src, sp), (dst, dp)))))
        group = l4
        if l4 == "tcp":
            control = (num(r["tcp.flags"]) & 0x07) != 0
    elif l4 in ("icmp", "icmpv6") and r[f"{l4}.type"]:
        t, c = int(r[f"{l4}.type"]), int(r[f"{l4}.code"])
        echo = {"icmp": {8: 8, 0: 8}, "icmpv6": {128: 128, 129: 128}}[l4]
        ident = r["icmp.ident" if l4 == "icmp" else "icmpv6.echo.identifier"]
        eid = num(ident) if t in echo and ident else 0
        key = ("icmp", v6, pair, echo.get(t, t), c, eid)
        group = "icmp"
    else:
        key = ("other", v6, pair, l4)
        group = "other"
    if is_frag:  # first fragment
        frags[fkey] = (key, ts, group)
    return key, group, control


def expected_lengths(path, cutoff):
    """[(captured, expected stored, connection uid)], and whether any packet
    was a fragment."""
    conns, frags = {}, {}
    now = float("-inf")
    out = []
    for r in tshark_rows(path):
        ts = float(r["frame.time_epoch"] or 0)  # simple packet blocks have no timestamp
        now = max(now, ts)
        cap = int(r["frame.cap_len"])
        key, group, control = packet_key(r, frags, ts)
        if key is None:
            out.append((cap, cap, None))
            continue
        c = conns.get(key)
        if c is None or now - c["last"] > TIMEOUT[group]:
            c = conns[key] = {"bytes": 0, "last": ts, "id": len(conns) + 1}
            c["uid"] = (key, ts)
        c["last"] = max(c["last"], ts)
        c["bytes"] += cap
        past = c["bytes"] > cutoff and not control
        out.append((cap, min(cap, 64) if past else cap, c["uid"]))
    return out, bool(frags) or any(u is not None and u[0][0] == "frag" for _, _, u in out)
