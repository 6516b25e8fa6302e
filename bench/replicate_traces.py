#!/usr/bin/env python3
"""Builds a large benchmark trace from the shared real traces.

Synthetic traffic lacks the TCP option mixes, VLAN tags, fragments, ARP
and odd link layers of real captures, which is exactly what decides how an
index narrows and how the cutoff cuts. This tool repeats the real traces
of ../shared/pcaps (every one tcpdump reads, per MANIFEST.tsv) until the
output reaches --bytes:

  * copy k of every trace starts k * --stride seconds after copy 0, so
    copies overlap in time like concurrent users (the output is one
    time-ordered stream, merged like mergecap);
  * every copy gets its own addresses: k is added to the second octet of
    every IPv4 address (k // 256 to the third), and to the second 16-bit
    word of every IPv6 address; ARP sender/target addresses likewise. The
    IPv4 header checksum and the TCP/UDP/ICMPv6 checksums are updated
    incrementally (RFC 1624), so checksums that were right stay right;
  * within a trace, idle gaps longer than --max-gap seconds are shortened
    to --max-gap (some traces span days with a packet an hour); packet
    order and all shorter gaps are kept;
  * Linux cooked (SLL) frames get an Ethernet header instead of the SLL
    one and raw-IP frames get one prepended, so the output is one
    Ethernet pcap (microsecond timestamps) that tcpreplay can send.

Deterministic: the same inputs and options give the same bytes.

Usage: bench/replicate_traces.py -o OUT.pcap --bytes 5G [--stride 1]
         [--max-gap 30] [--pcaps DIR]
Prints a one-line summary to stderr.
"""

import argparse
import heapq
import os
import re
import struct
import subprocess
import sys
import tempfile

DLT_EN10MB, DLT_RAW, DLT_IPV4, DLT_LINUX_SLL = 1, 101, 228, 113
ETH_FAKE = bytes.fromhex("020000000001" "020000000002")  # dst, src (locally administered)


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s)
    if not m:
        raise SystemExit(f"replicate_traces: bad size '{s}' (e.g. 500M, 5G)")
    return int(m[1]) * {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[m[2]]


def read_pcap(path):
    """Returns (linktype, [(ts_us, wirelen, bytes)]) of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            break  # a truncated last record: keep the readable prefix
        us = frac // 1000 if nano else frac
        out.append((sec * 1_000_000 + us, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, out


def to_ethernet(linktype, pkt, wirelen):
    if linktype == DLT_EN10MB:
        return pkt, wirelen
    if linktype == DLT_LINUX_SLL:
        if len(pkt) < 16:
            return None, 0
        return ETH_FAKE + pkt[14:16] + pkt[16:], wirelen - 2
    if linktype in (DLT_RAW, DLT_IPV4, 12, 14):
        if not pkt:
            return None, 0
        et = b"\x08\x00" if pkt[0] >> 4 == 4 else b"\x86\xdd"
        return ETH_FAKE + et + pkt, wirelen + 14
    return None, 0


def fields(pkt):
    """Offsets to rewrite: (v4 address offsets, v6 address offsets,
    checksum offsets covering the addresses, whether a UDP checksum)."""
    v4, v6, sums = [], [], []
    n = len(pkt)
    if n < 14:
        return v4, v6, sums
    off, et = 12, struct.unpack_from(">H", pkt, 12)[0]
    off = 14
    while et in (0x8100, 0x88A8, 0x9100) and off + 4 <= n:
        et = struct.unpack_from(">H", pkt, off + 2)[0]
        off += 4
    if et in (0x8847, 0x8848):  # MPLS: walk to the bottom of the stack
        while off + 4 <= n:
            bos = pkt[off + 2] & 1
            off += 4
            if bos:
                break
        if off < n:
            et = 0x0800 if pkt[off] >> 4 == 4 else 0x86DD if pkt[off] >> 4 == 6 else 0
    if et == 0x0806 and off + 28 <= n and pkt[off + 4] == 6 and pkt[off + 5] == 4:
        v4 += [off + 14, off + 24]
    elif et == 0x0800 and off + 20 <= n:
        ihl = (pkt[off] & 15) * 4
        v4 += [off + 12, off + 16]
        sums.append((off + 10, False))
        frag_off = struct.unpack_from(">H", pkt, off + 6)[0] & 0x1FFF
        proto, l4 = pkt[off + 9], off + ihl
        if frag_off == 0:
            if proto == 6 and l4 + 18 <= n:
                sums.append((l4 + 16, False))
            elif proto == 17 and l4 + 8 <= n:
                sums.append((l4 + 6, True))
    elif et == 0x86DD and off + 40 <= n:
        v6 += [off + 8, off + 24]
        nh, l4 = pkt[off + 6], off + 40
        while nh in (0, 43, 60, 44) and l4 + 8 <= n:  # extension headers
            if nh == 44:
                if struct.unpack_from(">H", pkt, l4 + 2)[0] & 0xFFF8:
                    return v4, v6, sums  # not the first fragment: no L4 header
                nh, l4 = pkt[l4], l4 + 8
            else:
                nh, l4 = pkt[l4], l4 + (pkt[l4 + 1] + 1) * 8
        if nh == 6 and l4 + 18 <= n:
            sums.append((l4 + 16, False))
        elif nh == 17 and l4 + 8 <= n:
            sums.append((l4 + 6, True))
        elif nh == 58 and l4 + 4 <= n:
            sums.append((l4 + 2, False))
    return v4, v6, sums


def ones_add(a, b):
    s = a + b
    return (s & 0xFFFF) + (s >> 16)


class Template:
    __slots__ = ("ts", "wirelen", "data", "v4", "v6", "sums")

    def __init__(self, ts, wirelen, data):
        self.ts, self.wirelen, self.data = ts, wirelen, data
        self.v4, self.v6, self.sums = fields(data)

    def copy(self, k):
        if k == 0 or not (self.v4 or self.v6):
            return self.data
        b = bytearray(self.data)
        k1, k2 = k & 255, (k >> 8) & 255
        delta = 0  # ones' complement sum of (new word - old word)
        for o in self.v4:
            w0, w1 = (b[o] << 8) | b[o + 1], (b[o + 2] << 8) | b[o + 3]
            b[o + 1] = (b[o + 1] + k1) & 255
            b[o + 2] = (b[o + 2] + k2) & 255
            n0, n1 = (b[o] << 8) | b[o + 1], (b[o + 2] << 8) | b[o + 3]
            delta = ones_add(ones_add(ones_add(ones_add(delta, ~w0 & 0xFFFF), n0), ~w1 & 0xFFFF), n1)
        for o in self.v6:
            w = (b[o + 2] << 8) | b[o + 3]
            n = (w + k) & 0xFFFF
            b[o + 2], b[o + 3] = n >> 8, n & 255
            delta = ones_add(ones_add(delta, ~w & 0xFFFF), n)
        for o, udp in self.sums:
            c = (b[o] << 8) | b[o + 1]
            if udp and c == 0:
                continue  # no UDP checksum
            c = ~ones_add(~c & 0xFFFF, delta) & 0xFFFF
            if udp and c == 0:
                c = 0xFFFF
            b[o], b[o + 1] = c >> 8, c & 255
        return bytes(b)


def load_traces(pcap_dir, max_gap_us):
    manifest = os.path.join(pcap_dir, "MANIFEST.tsv")
    names = []
    with open(manifest) as f:
        header = f.readline().rstrip("\n").split("\t")
        col = {h: i for i, h in enumerate(header)}
        for line in f:
            row = line.rstrip("\n").split("\t")
            if row[col["tcpdump_reads"]] == "ok" and row[col["packets"]] not in ("0", "unreadable"):
                names.append(row[col["file"]])
    traces = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(names):
            path = os.path.join(pcap_dir, name)
            if name.endswith(".pcapng"):
                conv = os.path.join(tmp, name + ".pcap")
                r = subprocess.run(["editcap", "-F", "pcap", path, conv], capture_output=True)
                if r.returncode != 0:
                    continue  # several link types: not representable as one pcap
                path = conv
            linktype, pkts = read_pcap(path)
            tmpl, shift, prev = [], 0, None
            for ts, wirelen, data in pkts:
                eth, wl = to_ethernet(linktype, data, wirelen)
                if eth is None:
                    continue
                if prev is not None:
                    gap = ts - prev
                    if gap > max_gap_us:
                        shift += gap - max_gap_us
                    elif gap < 0:  # keep backwards steps, but bounded too
                        if -gap > max_gap_us:
                            shift += gap + max_gap_us
                prev = ts
                tmpl.append(Template(ts - shift, wl, eth))
            if tmpl:
                t0 = tmpl[0].ts
                for t in tmpl:
                    t.ts -= t0
                traces.append((name, tmpl))
    return traces


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--bytes", required=True, help="stop once the output file is this big (5G, 500M)")
    ap.add_argument("--stride", type=float, default=1.0, help="seconds between copy starts (1)")
    ap.add_argument("--max-gap", type=float, default=30.0, help="longest idle gap kept, seconds (30)")
    ap.add_argument("--start", type=int, default=1_767_225_600, help="copy 0's start, Unix seconds (2026-01-01)")
    ap.add_argument("--pcaps", default=os.environ.get("TROVE_SHARED_PCAPS",
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "pcaps")))
    a = ap.parse_args()
    target = parse_size(a.bytes)
    traces = load_traces(a.pcaps, int(a.max_gap * 1e6))
    if not traces:
        raise SystemExit(f"replicate_traces: no readable trace in {a.pcaps}")
    stride_us = int(a.stride * 1e6)
    base_us = a.start * 1_000_000
    heap = []  # (ts_us, copy, trace, packet index)
    next_copy = 0
    written = 24
    packets = 0
    last_ts = base_us

    def add_copy(k):
        for ti, (_, tmpl) in enumerate(traces):
            heapq.heappush(heap, (base_us + k * stride_us + tmpl[0].ts, k, ti, 0))

    with open(a.output, "wb", buffering=8 << 20) as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, DLT_EN10MB))
        add_copy(0)
        next_copy = 1
        while written < target:
            if not heap or heap[0][0] >= base_us + next_copy * stride_us:
                add_copy(next_copy)
                next_copy += 1
                continue
            ts, k, ti, i = heapq.heappop(heap)
            t = traces[ti][1][i]
            data = t.copy(k)
            out.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), t.wirelen))
            out.write(data)
            written += 16 + len(data)
            packets += 1
            last_ts = ts
            if i + 1 < len(traces[ti][1]):
                heapq.heappush(heap, (base_us + k * stride_us + traces[ti][1][i + 1].ts, k, ti, i + 1))
    print(f"replicate_traces: {a.output}: {packets} packets, {written} bytes, {next_copy} copies of "
          f"{len(traces)} traces, {(last_ts - base_us) / 1e6:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
