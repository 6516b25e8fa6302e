#include "capture/file_source.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace trove {
namespace {
constexpr size_t kReadBuffer = 128 << 10;  // stdio buffer of a trace file (fits in L2)
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
  if (!p) {
    std::fclose(file);  // not taken over on failure
    return Status::InvalidArgument(path + ": offset 0: cannot read the file header: " + errbuf);
  }
  std::unique_ptr<FileSource> s(new FileSource());
  s->path_ = path;
  s->pcap_ = p;
  s->read_buffer_ = std::move(buffer);
  s->linktype_ = static_cast<uint16_t>(pcap_datalink(p));
  s->pcapng_ = *fmt == "pcapng";
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

PacketSource::ReadResult FileSource::Read(PacketRef* out) {
  pcap_pkthdr* h;
  const u_char* data;
  int r = pcap_next_ex(pcap_, &h, &data);
  if (r == 1) {
    out->ts_ns = static_cast<int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec;
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
  error_ = Status::Corruption(path_ + ": offset " + std::to_string(offset_) +
                              ": cannot read the record there: " + pcap_geterr(pcap_) +
                              "; the records before it were stored; to keep the rest, repair "
                              "the file (e.g. pcapfix) and import it again");
  return ReadResult::kError;
}

}  // namespace trove
