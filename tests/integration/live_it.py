"""Helpers of the live-capture tests: a private network namespace, a veth
pair into a second one, background processes, a reference tcpdump."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import trove_it as it
from trove_it import Failure

NS_ENV = "TROVE_IT_IN_NETNS"
def reexec_in_network_namespace(script):
    """Re-executes `script` as root in a new network and mount namespace;
    returns why it cannot (the caller skips), or None inside it."""
    if os.environ.get(NS_ENV) == "1":
        return None
    if os.geteuid() != 0:
        return "needs root (network namespaces, packet capture)"
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "unshare or ip not installed"
    probe = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.strip()}"
    env = dict(os.environ, **{NS_ENV: "1"})
    sys.stdout.flush()
    os.execvpe("unshare", ["unshare", "-n", "-m", "--propagation", "private",
                           sys.executable, os.path.abspath(script), *sys.argv[1:]], env)
    return None


class Background:
    """A process whose stderr goes to a file we can poll."""

    def __init__(self, cmd, err_path: Path):
        self.err_path = err_path
        self._err = open(err_path, "w")
        self.p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL,
                                  stderr=self._err, start_new_session=True)
        atexit.register(self.kill)

    def wait_ready(self, needle, timeout=10):
        if not it.wait_for_line(self.err_path, needle, timeout, self.p):
            raise Failure(f"`{' '.join(map(str, self.p.args))}` did not print {needle!r} within "
                          f"{timeout}s (exit {self.p.poll()}): {self.stderr()[-500:]!r}")

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def wait(self, timeout):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"`{' '.join(map(str, self.p.args))}` still running after {timeout}s")
        finally:
            self._err.close()

    def kill(self):
        if self.p.poll() is None:
            it.kill_group(self.p)
            self.p.wait()


def start_ref_tcpdump(iface, ref: Path, tmp: Path, snaplen: int = 0) -> Background:
    """tcpdump -w REF on iface, nanosecond stamps, a 128 MiB kernel buffer.
    A small snaplen matters under load: in immediate mode libpcap gives every
    packet a ring slot of the snaplen (256 KiB by default)."""
    td = Background(["tcpdump", "-i", iface, "-nn", "--immediate-mode", "-B", "131072",
                     *(["-s", str(snaplen)] if snaplen else []),
                     "--time-stamp-precision=nano", "-w", ref], tmp / "tcpdump.err")
    td.wait_ready("listening on")
    return td


def stop_tcpdump(td: Background):
    time.sleep(0.5)
    os.kill(td.p.pid, signal.SIGINT)
    td.wait(10)


class KernelTimestamps:
    """Holds a socket with SO_TIMESTAMPNS open, which turns on the kernel's
    global receive timestamping: every received skb is stamped once in
    netif_rx, and all packet sockets (tcpdump's and trove's) report that one
    stamp. Without it (no timestamping socket open, e.g. during plain TCP on
    lo) each packet socket stamps the packet itself at delivery, and the two
    captures differ by a few hundred ns."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        so_timestampns = getattr(socket, "SO_TIMESTAMPNS", 35)  # asm-generic value (x86, arm)
        self.sock.setsockopt(socket.SOL_SOCKET, so_timestampns, 1)
        return self

    def __exit__(self, *exc):
        self.sock.close()



class VethPair:
    """v0 (here, ADDR0/24) <-> v1 (in a second network namespace, ADDR1/24).
    `peer_cmd(...)` runs a command in the peer's namespace. IPv6 is off on
    both ends, so the kernel adds no traffic of its own (router/neighbour
    solicitations) to what the test sends."""

    def __init__(self, addr0="169.254.10.1", addr1="169.254.10.2", quiet=True):
        self.addr0, self.addr1, self.quiet = addr0, addr1, quiet

    def __enter__(self):
        self.peer = subprocess.Popen(["unshare", "-n", "sleep", "600"], start_new_session=True)
        atexit.register(lambda: self.peer.poll() is None and self.peer.kill())
        time.sleep(0.2)
        self.pid = str(self.peer.pid)
        it.run(["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        it.run(["ip", "link", "set", "v1", "netns", self.pid])
        if self.quiet:
            for iface, ns in (("v0", None), ("v1", self.pid)):
                sysctl = ["sysctl", "-q", "-w", f"net.ipv6.conf.{iface}.disable_ipv6=1"]
                it.run(sysctl if ns is None else ["nsenter", "-t", ns, "-n", *sysctl])
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "addr", "add", f"{self.addr1}/24", "dev", "v1"],
                    ["ip", "link", "set", "v1", "up"]):
            self.peer_run(cmd)
        it.run(["ip", "addr", "add", f"{self.addr0}/24", "dev", "v0"])
        it.run(["ip", "link", "set", "v0", "up"])
        it.run(["ping", "-n", "-c", "1", "-W", "5", self.addr1], timeout=10)  # link is up
        return self

    def peer_cmd(self, cmd):
        return ["nsenter", "-t", self.pid, "-n", *[str(c) for c in cmd]]

    def peer_run(self, cmd, **kw):
        return it.run(self.peer_cmd(cmd), **kw)

    def __exit__(self, *exc):
        subprocess.run(["ip", "link", "del", "v0"], capture_output=True)
        self.peer.kill()
        self.peer.wait()


def match_captures(got, want, tolerance_ns, oracle="tcpdump"):
    """Matches the packets trove stored (`got`) to an oracle's capture of the
    same wire (`want`), both lists of (ts_ns, caplen, wirelen, bytes). They
    must be the same packets: the same bytes and lengths, each with its
    timestamp within tolerance_ns(packet) of the oracle's, in the same
    order, except that two packet sockets (trove's and the oracle's) may
    receive two packets that two CPUs deliver at the same moment in
    opposite orders. So packets are matched by content, in capture order
    per content, and a packet may change position only relative to packets
    within its tolerance. Returns, for each stored packet, the index of its
    match in `want`; raises Failure otherwise."""
    from collections import defaultdict
    it.check_eq(len(got), len(want), f"packets stored vs packets {oracle} saw")
    want_at = defaultdict(list)  # content -> positions in want, in order
    for j, (_ts, cap, wl, data) in enumerate(want):
        want_at[(cap, wl, data)].append(j)
    seen = defaultdict(int)
    order = []
    for i, pk in enumerate(got):
        ts, cap, wl, data = pk
        key = (cap, wl, data)
        k = seen[key]
        seen[key] += 1
        if k >= len(want_at.get(key, [])):
            near = want[i] if i < len(want) else None
            raise Failure(f"packet {i + 1}: stored caplen {cap} wirelen {wl} (ts {ts}) is not "
                          f"among {oracle}'s packets (there: caplen {near and near[1]} "
                          f"wirelen {near and near[2]}, or bytes differ)")
        j = want_at[key][k]
        tol = tolerance_ns(want[j])
        it.check(abs(ts - want[j][0]) <= tol,
                 f"packet {i + 1}: timestamp {ts} vs {oracle}'s {want[j][0]} (tolerance {tol} ns)")
        if j != i:
            other = want[i][0]
            it.check(abs(other - ts) <= max(tol, tolerance_ns(want[i])),
                     f"packet {i + 1} (ts {ts}) is stored where {oracle} has a packet of ts "
                     f"{other}: out of order")
        order.append(j)
    return order
