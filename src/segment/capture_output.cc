#include "segment/capture_output.h"

#include <cerrno>

#include "packet/link_type.h"
#include "segment/pcapng_format.h"
#include "trove/version.h"

namespace trove {
namespace {

void Put32(ByteBuffer* b, uint32_t v) { b->Append(&v, 4); }
void Put16(ByteBuffer* b, uint16_t v) { b->Append(&v, 2); }

}  // namespace

Result<std::unique_ptr<CaptureOutput>> CaptureOutput::Open(const std::string& path, CaptureFormat f,
                                                           const std::vector<uint16_t>& linktypes,
                                                           const CaptureOutputOptions& opts) {
  if (f == CaptureFormat::kPcap && linktypes.size() > 1)
    return Status::InvalidArgument("the result holds " + std::to_string(linktypes.size()) +
                                   " link types; classic pcap holds one (use --format pcapng)");
  std::unique_ptr<CaptureOutput> o(new CaptureOutput());
  o->path_ = path;
  o->format_ = f;
  o->nanosecond_ = opts.nanosecond;
  // With no packet source yet, the output is Ethernet (as tcpdump's).
  o->linktypes_ = linktypes.empty() ? std::vector<uint16_t>{1} : linktypes;
  if (path == "-") {
    o->f_ = stdout;
  } else {
    o->f_ = std::fopen(path.c_str(), "wb");
    if (!o->f_) return Status::FromErrno(errno, "opening " + path);
    o->owned_ = true;
  }
  const uint16_t first = o->linktypes_[0];
  if (f == CaptureFormat::kPcap) {
    Put32(&o->buf_, opts.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4);  // host byte order
    Put16(&o->buf_, 2);
    Put16(&o->buf_, 4);
    Put32(&o->buf_, 0);
    Put32(&o->buf_, 0);
    Put32(&o->buf_, 262144);
    Put32(&o->buf_, LinkTypeOnDisk(first));
  } else {
    SectionInfo s;
    s.userappl = opts.application.empty() ? std::string("trove ") + kVersion : opts.application;
    s.comments = opts.comments;
    AppendSectionHeader(&o->buf_, s);
    for (uint16_t lt : o->linktypes_) {
      InterfaceInfo i;
      i.linktype = LinkTypeOnDisk(lt);
      i.snaplen = 262144;
      i.tsresol = 9;
      AppendInterfaceDescription(&o->buf_, i);
    }
  }
  return o;
}

CaptureOutput::~CaptureOutput() {
  if (owned_ && f_) std::fclose(f_);
}

bool CaptureOutput::Accepts(uint16_t linktype) const {
  return format_ == CaptureFormat::kPcapng || linktypes_.empty() || linktypes_[0] == linktype;
}

Status CaptureOutput::Flush() {
  TROVE_RETURN_IF_ERROR(FlushBuffer(true));
  if (f_ && std::fflush(f_) != 0) return Status::FromErrno(errno, "writing " + path_);
  return Status::Ok();
}

Status CaptureOutput::Write(uint16_t linktype, int64_t ts_ns, uint32_t caplen, uint32_t wirelen,
                            const uint8_t* data) {
  if (!Accepts(linktype))
    return Status::InvalidArgument("a classic pcap output holds one link type; this packet has " +
                                   std::to_string(linktype));
  if (format_ == CaptureFormat::kPcap) {
    Put32(&buf_, static_cast<uint32_t>(ts_ns / 1000000000));
    Put32(&buf_, static_cast<uint32_t>(nanosecond_ ? ts_ns % 1000000000 : ts_ns % 1000000000 / 1000));
    Put32(&buf_, caplen);
    Put32(&buf_, wirelen);
    buf_.Append(data, caplen);
  } else {
    size_t ifid = 0;
    while (ifid < linktypes_.size() && linktypes_[ifid] != linktype) ++ifid;
    if (ifid == linktypes_.size()) {
      InterfaceInfo i;
      i.linktype = LinkTypeOnDisk(linktype);
      i.snaplen = 262144;
      i.tsresol = 9;
      AppendInterfaceDescription(&buf_, i);
      linktypes_.push_back(linktype);
    }
    AppendEnhancedPacket(&buf_, static_cast<uint32_t>(ifid), ts_ns, caplen, wirelen, data);
  }
  return FlushBuffer(false);
}

Status CaptureOutput::FlushBuffer(bool force) {
  if (!f_ || (!force && buf_.size() < (1u << 20))) return Status::Ok();
  if (buf_.size() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
    return Status::FromErrno(errno, "writing " + (path_ == "-" ? std::string("stdout") : path_) +
                                        " at offset " + std::to_string(written_));
  written_ += buf_.size();
  buf_.clear();
  return Status::Ok();
}

Status CaptureOutput::Close() {
  TROVE_RETURN_IF_ERROR(FlushBuffer(true));
  if (!f_) return Status::Ok();
  int rc = owned_ ? std::fclose(f_) : std::fflush(f_);
  f_ = nullptr;
  if (rc != 0) return Status::FromErrno(errno, "closing " + path_);
  return Status::Ok();
}

}  // namespace trove
