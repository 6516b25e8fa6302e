#include "capture/file_source.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace trove {
namespace {
constexpr size_t kReadBuffer = 128 << 10;  // stdio buffer of a trace file (fits in L2)

// The DLT_ value libpcap (on Linux) reports for a file's LINKTYPE_ value,
// so packets read by the own reader carry the same link type as those
// libpcap reads (pcap-common.c, linktype_to_dlt: only these differ).
uint16_t DltOfLinkType(uint16_t linktype) {
  switch (linktype) {
    case 100: return 11;  // ATM_RFC1483
    case 101: return 12;  // RAW
    case 102: return 15;  // SLIP_BSDOS
    case 103: return 16;  // PPP_BSDOS
    case 106: return 19;  // ATM_CLIP (Linux)
    default: return linktype;
  }
}
}  // namespace

Result<std::string> DetectTraceFormat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, path);
  if (S_ISDIR(st.st_mode))
    return Status::InvalidArgument(path + ": is a directory, not a trace file");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::FromErrno(errno, path);
  unsigned char m[4] = {0, 0, 0, 0};
  size_t n = std::fread(m, 1, 4, f);
  std::fclose(f);
  if (n < 4)
    return Status::InvalidArgument(path + ": offset 0: file is " + std::to_string(n) +
                                   " bytes, too short for a pcap or pcapng header");
  uint32_t be = (uint32_t(m[0]) << 24) | (uint32_t(m[1]) << 16) | (uint32_t(m[2]) << 8) | m[3];
  switch (be) {
    case 0xa1b2c3d4: return std::string("pcap-be");
    case 0xd4c3b2a1: return std::string("pcap-le");
    case 0xa1b23c4d: return std::string("pcap-ns-be");
    case 0x4d3cb2a1: return std::string("pcap-ns-le");
    case 0x0a0d0d0a: return std::string("pcapng");
    default: break;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", be);
  return Status::InvalidArgument(path + ": offset 0: unknown magic number " + buf +
                                 "; expected a pcap (a1b2c3d4/a1b23c4d, either byte order) or "
                                 "pcapng (0a0d0d0a) file");
}

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  auto fmt = DetectTraceFormat(path);
  if (!fmt.ok()) return fmt.status();
  if (*fmt == "pcapng" && HasSeveralInterfaces(path)) {
    // libpcap does not say which interface a packet came from (and refuses
    // interfaces of different link types): read it ourselves.
    std::unique_ptr<FileSource> s(new FileSource());
    s->path_ = path;
    s->pcapng_ = true;
    TROVE_RETURN_IF_ERROR(s->StartOwnReader(0));
    s->total_ = s->map_->size();
    return s;
  }
  // libpcap reads each record with two small fread()s; a large stdio
  // buffer turns them into one read(2) per kReadBuffer bytes instead of one
  // per 4 KiB. libpcap stays the reader (it owns and closes the FILE).
  // glibc ignores the size of setvbuf() without a buffer: give it ours,
  // which lives as long as the FileSource (the destructor closes the FILE
  // before its members go).
  auto buffer = std::make_unique<char[]>(kReadBuffer);
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return Status::FromErrno(errno, path);
  if (std::setvbuf(file, buffer.get(), _IOFBF, kReadBuffer) != 0) {
    std::fclose(file);
    return Status::Internal(path + ": cannot set the read buffer");
  }
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  std::unique_ptr<FileSource> s(new FileSource());
  s->path_ = path;
  if (!p) {
    std::fclose(file);  // not taken over on failure
    if (*fmt == "pcapng" && RefusedValidPcapng(errbuf)) {
      s->pcapng_ = true;
      TROVE_RETURN_IF_ERROR(s->StartOwnReader(0));
      s->total_ = s->map_->size();
      return s;
    }
    return Status::InvalidArgument(path + ": offset 0: cannot read the file header: " + errbuf);
  }
  s->pcap_ = p;
  s->read_buffer_ = std::move(buffer);
  s->linktype_ = static_cast<uint16_t>(pcap_datalink(p));
  s->pcapng_ = *fmt == "pcapng";
  s->nano_file_ = fmt->rfind("pcap-ns", 0) == 0;
  s->snapshot_ = static_cast<uint32_t>(pcap_snapshot(p));
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) s->total_ = static_cast<uint64_t>(st.st_size);
  long pos = std::ftell(pcap_file(p));
  s->offset_ = pos > 0 ? static_cast<uint64_t>(pos) : 0;
  return s;
}

FileSource::~FileSource() {
  if (pcap_) pcap_close(pcap_);
}

bool FileSource::RefusedValidPcapng(const std::string& e) {
  // libpcap 1.10's messages for valid files it does not support: every
  // interface must have the first one's link type and snapshot length, and
  // every section the first one's byte order.
  for (const char* m : {"an interface has a type ", "an interface has a snapshot length ",
                        "the file has sections with different byte orders"}) {
    if (e.find(m) != std::string::npos) return true;
  }
  return false;
}

bool FileSource::HasSeveralInterfaces(const std::string& path) {
  auto m = MappedFile::Open(path);
  if (!m.ok()) return false;  // libpcap reports it
  int idbs = 0;
  PcapngVisitor v;
  v.on_interface = [&](const InterfaceInfo&, uint64_t) { return ++idbs < 2; };
  ParsePcapng((*m)->data(), (*m)->size(), v);
  return idbs >= 2;
}

bool FileSource::WholeFileIsValidPcapng() const {
  // libpcap stopped at something trove's parser accepts (e.g. a section of
  // the other byte order, whose SHB libpcap reads with the old one).
  auto m = MappedFile::Open(path_);
  if (!m.ok()) return false;
  const PcapngParseResult r = ParsePcapng((*m)->data(), (*m)->size(), PcapngVisitor{});
  return r.error.ok() && !r.truncated;
}

Status FileSource::StartOwnReader(uint64_t skip_below) {
  auto m = MappedFile::Open(path_);
  if (!m.ok()) return m.status();
  map_ = std::move(m).value();
  own_ = std::make_unique<PcapngParser>();
  skip_below_ = skip_below;
  if (pcap_) {
    pcap_close(pcap_);
    pcap_ = nullptr;
  }
  // linktype(): the first packet's (else the first interface's).
  bool have_packet = false;
  PcapngVisitor v;
  v.on_packet = [&](const PcapngPacket& p) {
    linktype_ = DltOfLinkType(p.linktype);
    have_packet = true;
    return false;
  };
  PcapngParseResult r = own_->Parse(map_->data(), map_->size(), v);  // to the first packet
  if (!have_packet && !own_->interfaces().empty())
    linktype_ = DltOfLinkType(own_->interfaces()[0].linktype);
  (void)r;  // an error or truncation: Read() reports it at its offset
  // Parse again from the start: the probe consumed the first packet.
  own_ = std::make_unique<PcapngParser>();
  return Status::Ok();
}

PacketSource::ReadResult FileSource::ReadOwn(PacketRef* out) {
  PcapngPacket pkt;
  bool got = false;
  PcapngVisitor v;
  v.on_section = [&](const SectionInfo&, uint64_t) {
    section_ifaces_.clear();
    return true;
  };
  v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
    static std::atomic<uint64_t> next_uid{1};  // identity only; never on the per-packet path
    PacketInterface& pi = ifaces_->emplace_back();
    pi.uid = next_uid.fetch_add(1, std::memory_order_relaxed);
    pi.linktype = DltOfLinkType(i.linktype);
    pi.snaplen = i.snaplen;
    pi.name = i.name;
    pi.description = i.description;
    section_ifaces_.push_back(&pi);
    return true;
  };
  v.on_packet = [&](const PcapngPacket& p) {
    if (p.block_offset < skip_below_) return true;  // libpcap delivered it
    pkt = p;
    got = true;
    return false;
  };
  const PcapngParseResult r = own_->Parse(map_->data(), map_->size(), v);
  if (got) {
    out->ts_ns = pkt.ts_ns;
    out->caplen = pkt.caplen;
    out->wirelen = pkt.wirelen;
    out->linktype = DltOfLinkType(pkt.linktype);
    out->iface = section_ifaces_[pkt.interface_id];  // the parser checked the id
    out->data = pkt.data;
    offset_ = own_->offset();
    return ReadResult::kPacket;
  }
  const std::string keep =
      "; the records before it were stored; to keep the rest, repair the file (e.g. pcapfix) "
      "and import it again";
  if (!r.error.ok()) {
    // The parser names the block's offset ("pcapng block at offset N: ...").
    error_ = Status::Corruption(path_ + ": " + r.error.message() + keep);
    return ReadResult::kError;
  }
  offset_ = own_->offset();
  if (r.truncated) {
    error_ = Status::Corruption(path_ + ": offset " + std::to_string(own_->offset()) +
                                ": the file ends inside a block (" +
                                std::to_string(map_->size() - own_->offset()) +
                                " bytes left)" + keep);
    return ReadResult::kError;
  }
  return ReadResult::kEnd;
}

PacketSource::ReadResult FileSource::Read(PacketRef* out) {
  if (own_) return ReadOwn(out);
  pcap_pkthdr* h;
  const u_char* data;
  int r = pcap_next_ex(pcap_, &h, &data);
  if (r == 1) {
    if (pcapng_) {
      // 64-bit seconds from libpcap's pcapng reader: refuse what int64 ns cannot hold.
      int64_t ns;
      if (__builtin_mul_overflow(static_cast<int64_t>(h->ts.tv_sec), int64_t{1'000'000'000}, &ns) ||
          __builtin_add_overflow(ns, static_cast<int64_t>(h->ts.tv_usec), &ns)) {
        error_ = Status::Corruption(
            path_ + ": offset " + std::to_string(offset_) + ": the packet's time (" +
            std::to_string(static_cast<int64_t>(h->ts.tv_sec)) +
            " s) is outside the representable range (1677 to 2262); the records before it "
            "were stored; to keep the rest, repair the file and import it again");
        return ReadResult::kError;
      }
      out->ts_ns = ns;
    } else {
      // Classic pcap: libpcap sign-extends the u32 seconds and fraction
      // fields (and multiplied a µs fraction by 1000); recover the values
      // the file holds. Carry a fraction >= 1 s into the seconds (the sum
      // fits: < 2^32 s + 2^32 µs).
      const uint64_t sec = static_cast<uint32_t>(h->ts.tv_sec);
      const uint64_t frac = nano_file_ ? static_cast<uint32_t>(h->ts.tv_usec)
                                       : static_cast<uint32_t>(h->ts.tv_usec / 1000);
      const uint64_t frac_ns = nano_file_ ? frac : frac * 1000;
      if (frac_ns >= 1'000'000'000) ++oversized_fractions_;
      out->ts_ns = static_cast<int64_t>(sec * 1'000'000'000 + frac_ns);
    }
    out->caplen = h->caplen;
    out->wirelen = h->len;
    out->linktype = linktype_;
    out->data = data;
    // Classic pcap records are 16 bytes + caplen on disk unless libpcap cut
    // an oversized record to the snapshot length; only then (and for pcapng,
    // whose blocks carry options) ask stdio, which costs an lseek syscall.
    if (!pcapng_ && h->caplen < snapshot_) {
      offset_ += 16 + h->caplen;
    } else {
      long pos = std::ftell(pcap_file(pcap_));
      if (pos > 0) offset_ = static_cast<uint64_t>(pos);
    }
    return ReadResult::kPacket;
  }
  if (r == PCAP_ERROR_BREAK) return ReadResult::kEnd;
  // r == PCAP_ERROR: offset_ is the start of the record that failed.
  const std::string why = pcap_geterr(pcap_);
  if (pcapng_ && (RefusedValidPcapng(why) || WholeFileIsValidPcapng())) {
    // Everything up to offset_ (the end of the last packet block libpcap
    // delivered) is stored; the own reader continues from there.
    Status st = StartOwnReader(offset_);
    if (st.ok()) return ReadOwn(out);
    error_ = Status::Corruption(path_ + ": offset " + std::to_string(offset_) + ": " +
                                st.message());
    return ReadResult::kError;
  }
  error_ = Status::Corruption(path_ + ": offset " + std::to_string(offset_) +
                              ": cannot read the record there: " + why +
                              "; the records before it were stored; to keep the rest, repair "
                              "the file (e.g. pcapfix) and import it again");
  return ReadResult::kError;
}

}  // namespace trove
