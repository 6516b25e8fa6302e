#include "capture/live_source.h"

#include <poll.h>
#include <pcap/pcap.h>

namespace trove {

Result<std::unique_ptr<LiveSource>> LiveSource::Open(const LiveOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_create(o.interface.c_str(), errbuf);
  if (!p) return Status::InvalidArgument("interface " + o.interface + ": " + errbuf);
  std::unique_ptr<LiveSource> s(new LiveSource());
  s->iface_ = o.interface;
  s->pcap_ = p;
  pcap_set_snaplen(p, o.snaplen == 0 ? 262144 : static_cast<int>(o.snaplen));
  pcap_set_promisc(p, o.promiscuous ? 1 : 0);
  pcap_set_timeout(p, o.poll_ms);
  pcap_set_buffer_size(p, static_cast<int>(std::min<uint64_t>(o.buffer_bytes, 1u << 30)));
  if (o.nanosecond && pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0)
    s->nano_ = true;
  int r = pcap_activate(p);
  if (r < 0) {
    std::string why = pcap_geterr(p);
    if (why.empty()) why = pcap_statustostr(r);
    return Status::InvalidArgument("interface " + o.interface + ": cannot start capture: " + why +
                                   (r == PCAP_ERROR_PERM_DENIED
                                        ? " (capture needs root or CAP_NET_RAW+CAP_NET_ADMIN)"
                                        : ""));
  }
  if (r > 0) s->warning_ = std::string(pcap_statustostr(r)) + ": " + pcap_geterr(p);
  if (s->nano_ && pcap_get_tstamp_precision(p) != PCAP_TSTAMP_PRECISION_NANO) s->nano_ = false;
  s->linktype_ = static_cast<uint16_t>(pcap_datalink(p));
  s->poll_ms_ = o.poll_ms;
  // Non-blocking reads plus our own poll(): with TPACKET_V3 a blocking read
  // never returns while the link is idle (the kernel does not retire empty
  // blocks), and the capture thread must notice stop requests.
  if (pcap_setnonblock(p, 1, errbuf) != 0)
    return Status::InvalidArgument("interface " + o.interface + ": " + errbuf);
  s->fd_ = pcap_get_selectable_fd(p);
  if (!o.filter.empty()) {
    bpf_program prog;
    if (pcap_compile(p, &prog, o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      return Status::InvalidArgument("capture filter '" + o.filter + "': " + pcap_geterr(p));
    int fr = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (fr != 0)
      return Status::InvalidArgument("capture filter '" + o.filter + "': " + pcap_geterr(p));
  }
  return s;
}

LiveSource::~LiveSource() {
  if (pcap_) pcap_close(pcap_);
}

PacketSource::ReadResult LiveSource::Read(PacketRef* out) {
  pcap_pkthdr* h;
  const u_char* data;
  int r = pcap_next_ex(pcap_, &h, &data);
  if (r == 0 && fd_ >= 0) {
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, poll_ms_);
    r = pcap_next_ex(pcap_, &h, &data);
  }
  if (r == 1) {
    int64_t frac = h->ts.tv_usec;
    out->ts_ns = static_cast<int64_t>(h->ts.tv_sec) * 1'000'000'000 + (nano_ ? frac : frac * 1000);
    out->caplen = h->caplen;
    out->wirelen = h->len;
    out->linktype = linktype_;
    out->data = data;
    return ReadResult::kPacket;
  }
  if (r == 0) return ReadResult::kIdle;
  if (r == PCAP_ERROR_BREAK) return ReadResult::kEnd;
  error_ = Status::Unavailable("interface " + iface_ + ": " + pcap_geterr(pcap_));
  return ReadResult::kError;
}

KernelStats LiveSource::Stats() {
  pcap_stat st{};
  KernelStats k;
  if (pcap_stats(pcap_, &st) == 0) {
    k.received = st.ps_recv;
    k.dropped = static_cast<uint64_t>(st.ps_drop) + st.ps_ifdrop;
  }
  return k;
}

}  // namespace trove
