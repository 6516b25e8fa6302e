#!/usr/bin/env python3
"""trove query on the shipped default store with cut, tagged and odd packets.

Input (written here, every header spelled out): for each link layout --
untagged, 802.1Q, 802.1ad QinQ, 0x9100, one and two MPLS labels, VLAN +
MPLS, and the two trove must not narrow (LLC/SNAP-encapsulated IP,
multicast MPLS 0x8848) -- a TCP connection with 12-byte timestamp options
(32-byte TCP header) and 40 data packets of 1400 bytes, so it passes the
default 20 KB cutoff and its tail is stored as 64-byte headers cut inside
the TCP options; a UDP flow; an ICMP echo; an IPv6 TCP flow (untagged and
802.1Q); plus ARP, LLDP and an IPv4 datagram in two fragments.

Store: `trove init` with no options (the default: 20 KB cutoff, 64-byte
headers, privacy levels on).

Oracle: for many expressions (host/net/port/protocols with src/dst,
and/or/not, vlan [id], mpls [label] anywhere), `trove query` gives exactly
the packets `tcpdump -r` selects from the stored raw segments (merged with
mergecap). Narrowing: `--explain --json` counts as candidates exactly the
packets the index cannot judge, computed here by hand: for an absent host,
the SNAP and multicast-MPLS packets (uncertain) and the ARP packets (libpcap's
`host` reads ARP addresses); for an absent port, only the uncertain ones; for
the untagged connection past its cutoff, its own packets plus the uncertain
ones. Before issue 14 the connection past the cutoff (and every tagged one)
was a candidate of every query.
"""

import struct
import sys

import trove_it as it
from trove_it import check, check_eq

STATE = {}


def csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, frag=0x4000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src_last, dst_last, nh, payload):
    a = bytes.fromhex("20010db8000000000000000000000000")
    return (struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + a[:15] + bytes([src_last]) +
            a[:15] + bytes([dst_last]) + payload)


def tcp(sp, dp, seq, flags, data=b"", opts=True):
    o = bytes.fromhex("0101080a0000000100000002") if opts else b""  # NOP NOP timestamps
    return struct.pack("!HHIIBBHHH", sp, dp, seq, 1, (20 + len(o)) // 4 << 4, flags, 65535, 0,
                       0) + o + data


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


ETH = bytes.fromhex("020000000001020000000002")


def tag(vid, et):
    return struct.pack("!HH", vid, et)


def mpls(label, bottom):
    return struct.pack("!I", label << 12 | (1 if bottom else 0) << 8 | 64)


# name -> (link bytes before an IPv4/IPv6 ethertype's payload, certain)
LAYOUTS = {
    "plain": (lambda et: ETH + struct.pack("!H", et), True),
    "vlan": (lambda et: ETH + struct.pack("!H", 0x8100) + tag(100, et), True),
    "qinq": (lambda et: ETH + struct.pack("!H", 0x88A8) + tag(10, 0x8100) + tag(100, et), True),
    "vlan9100": (lambda et: ETH + struct.pack("!H", 0x9100) + tag(7, et), True),
    "mpls": (lambda et: ETH + struct.pack("!H", 0x8847) + mpls(16, True), True),
    "mpls2": (lambda et: ETH + struct.pack("!H", 0x8847) + mpls(16, False) + mpls(17, True), True),
    "vlan-mpls": (lambda et: ETH + struct.pack("!H", 0x8100) + tag(100, 0x8847) + mpls(16, True), True),
    "snap": (lambda et: ETH + struct.pack("!H", 0x0100) + bytes.fromhex("aaaa03000000") +
             struct.pack("!H", et), False),
    "mpls-mcast": (lambda et: ETH + struct.pack("!H", 0x8848) + mpls(16, True), False),
}


def build(path):
    pkts = []  # (ts_ns, bytes, layout, what)
    ts = 1_767_225_600 * 10**9
    for li, (name, (link, _)) in enumerate(LAYOUTS.items()):
        a, b = [10, li, 0, 1], [10, li, 0, 2]
        add = lambda data, what: pkts.append((ts + len(pkts) * 1000, data, name, what))
        e4, e6 = link(0x0800), link(0x86DD)
        sp = 40000 + li
        add(e4 + ipv4(a, b, 6, tcp(sp, 443, 0, 0x02)), "conn")
        add(e4 + ipv4(b, a, 6, tcp(443, sp, 0, 0x12)), "conn")
        add(e4 + ipv4(a, b, 6, tcp(sp, 443, 1, 0x10)), "conn")
        for i in range(40):
            src, dst, p, q = (a, b, sp, 443) if i % 4 else (b, a, 443, sp)
            add(e4 + ipv4(src, dst, 6, tcp(p, q, 1 + i * 1400, 0x18, bytes([i]) * 1400)), "conn")
        add(e4 + ipv4(a, b, 6, tcp(sp, 443, 99999, 0x11)), "conn")
        add(e4 + ipv4(a, [10, li, 0, 3], 17, udp(5353, 53, b"q" * 40)), "udp")
        add(e4 + ipv4([10, li, 0, 3], a, 17, udp(53, 5353, b"r" * 90)), "udp")
        add(e4 + ipv4(a, [10, li, 0, 4], 1, bytes([8, 0, 0, 0, 0, 7, 0, 1]) + b"p" * 32), "icmp")
        if name in ("plain", "vlan"):
            add(e6 + ipv6(16 + li, 2, 6, tcp(50000, 80, 5, 0x18, b"x" * 30, opts=False)), "tcp6")
    # Non-IP: ARP (10.0.0.1 asks for 10.0.0.9), LLDP; an IPv4 datagram in two fragments.
    arp = bytes.fromhex("0001080006040001020000000002") + bytes([10, 0, 0, 1]) + bytes(6) + bytes([10, 0, 0, 9])
    for i in range(3):
        pkts.append((ts + len(pkts) * 1000, ETH + b"\x08\x06" + arp, "plain", "arp"))
    pkts.append((ts + len(pkts) * 1000, ETH + b"\x88\xcc" + bytes(40), "plain", "lldp"))
    body = udp(7000, 7001, b"f" * 200)
    for frag, part in ((0x2000, body[:104]), (13, body[104:])):
        pkts.append((ts + len(pkts) * 1000, ETH + b"\x08\x00" +
                     ipv4([10, 0, 0, 1], [10, 0, 0, 8], 17, part, ident=77, frag=frag), "plain", "frag"))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for t, data, _, _ in pkts:
            f.write(struct.pack("<IIII", t // 10**9, t % 10**9, len(data), len(data)) + data)
    return pkts


def setup():
    if STATE:
        return STATE
    tmp_cm = it.tempdir("trove-qtags-")
    tmp = tmp_cm.__enter__()
    pcap = tmp / "tags.pcap"
    pkts = build(pcap)
    store = it.new_store(tmp, cutoff=None)  # `trove init` defaults
    store.run("import", pcap)
    segs = [s["path"] for s in it.sorted_segments(store.ls()) if s["level"] == "raw"]
    merged = tmp / "raw.pcapng"
    it.run(["mergecap", "-w", merged, *segs])
    STATE.update(tmp=tmp, store=store, pkts=pkts, merged=merged, n=0, cleanup=tmp_cm)
    return STATE


def check_query(expr):
    st = setup()
    st["n"] += 1
    got, want = st["tmp"] / f"got-{st['n']}.pcap", st["tmp"] / f"want-{st['n']}.pcap"
    st["store"].run("query", "-w", got, expr)
    it.run(["tcpdump", "--time-stamp-precision=nano", "-r", st["merged"], "-w", want, expr])
    it.compare_packets(it.read_packets(got), it.read_packets(want), f"trove query {expr!r}",
                       f"tcpdump {expr!r}")


def candidates(expr) -> int:
    plan = setup()["store"].json("query", "--explain", expr)
    check(plan["indexable"] is True, f"{expr!r} not indexable: {plan}")
    per = {"index": lambda s: s["candidate_packets"], "scan": lambda s: s["packets"]}
    return sum(per.get(s["plan"], lambda s: 0)(s) for s in plan["segments"])


QUERIES = [
    "host 10.0.0.1", "host 10.1.0.1", "host 10.7.0.2", "src host 10.0.0.2", "dst host 10.2.0.1",
    "net 10.3.0.0/16", "net 10.0.0.0/8", "port 443", "port 40000", "src port 40004", "dst port 53",
    "tcp", "udp", "icmp", "ip", "ip6", "not tcp", "not host 10.0.0.1", "not port 443",
    "host 10.0.0.1 and host 10.0.0.2 and port 40000 and port 443",
    "tcp and host 10.0.0.1 and not port 443", "udp or icmp and host 10.0.0.1",
    "host 2001:db8::10", "ip6 and port 80", "host 10.0.0.9", "not ip and not ip6",
    "host 10.0.0.8", "udp and port 7001", "not port 7001 and host 10.0.0.8",
    "vlan", "vlan 100", "vlan 7", "not vlan", "vlan and host 10.1.0.1", "vlan and not host 10.1.0.1",
    "vlan 100 and port 443", "vlan and vlan and host 10.2.0.1", "vlan and vlan and not tcp",
    "vlan and vlan and vlan", "vlan or host 10.0.0.1", "host 10.0.0.1 or vlan and host 10.1.0.2",
    "mpls", "mpls 16", "mpls and host 10.4.0.1", "mpls and not host 10.4.0.1", "mpls and not ip",
    "mpls and mpls", "mpls and mpls and port 443", "mpls and mpls and not tcp", "not mpls",
    "vlan and mpls and host 10.6.0.2", "vlan and mpls and not tcp", "vlan and mpls and not mpls",
    "vlan and not mpls and udp", "(vlan or mpls) and host 10.1.0.1",
]


def register():
    for q in QUERIES:
        it.add_case(f"query_tags[{q}]", lambda q=q: check_query(q))

    def narrowed():
        st = setup()
        pkts = st["pkts"]
        uncertain = sum(1 for p in pkts if not LAYOUTS[p[2]][1])
        arp = sum(1 for p in pkts if p[3] == "arp")
        total = len(pkts)
        check_eq(sum(1 for p in pkts if p[2] == "plain" and p[3] == "conn"), 44, "connection packets")
        # Every packet is stored (tails as 64-byte headers): the cutoff was passed.
        stored = it.read_packets(st["merged"])
        check_eq(len(stored), total, "stored packets")
        check(sum(1 for p in stored if p[1] == 64 and p[2] > 64) >= 9 * 20,
              "the connections' tails are not stored as 64-byte headers")
        check_eq(candidates("host 192.0.2.99"), uncertain + arp, "candidates of an absent host")
        check_eq(candidates("port 9"), uncertain, "candidates of an absent port")
        check_eq(candidates("tcp and host 10.0.0.1 and host 10.0.0.2 and port 40000 and port 443"),
                 44 + uncertain, "candidates of the connection past its cutoff")
        check_eq(candidates("vlan and host 10.1.0.1 and port 40001"), 44 + uncertain,
                 "candidates of the VLAN connection")
    it.add_case("query_tags_narrowed", narrowed)


if __name__ == "__main__":
    rc = it.run_registered(register, "query_tags")
    if "cleanup" in STATE:
        STATE["cleanup"].__exit__(None, None, None)
    sys.exit(rc)
