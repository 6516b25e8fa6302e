#include "levels/anonymize_trace.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "capture/file_source.h"
#include "packet/decoder.h"
#include "trove/version.h"
#include "util/byte_buffer.h"
#include "util/progress.h"

namespace trove {
namespace {

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

Result<AnonymizeTraceReport> AnonymizeTrace(const AnonymizeTraceOptions& opts) {
  auto src = FileSource::Open(opts.in);
  if (!src.ok()) return Status::InvalidArgument(src.status().message());
  AnonymizeTraceReport rep;
  rep.linktype = (*src)->linktype();
  if (FindLinkType(rep.linktype) == nullptr)
    return Status::InvalidArgument(
        opts.in + ": link type " + LinkTypeName(rep.linktype) + " (" +
        std::to_string(rep.linktype) +
        ") is not supported by trove anon; supported: EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, "
        "RAW, IPV4, IPV6");
  if (opts.out != "-" && SameFile(opts.in, opts.out))
    return Status::InvalidArgument(opts.out + ": is the input file; choose another output");

  const bool to_stdout = opts.out == "-";
  const std::string tmp = to_stdout ? opts.out : opts.out + ".partial";
  CaptureOutputOptions co;
  co.application = std::string("trove ") + kVersion + " anon";
  co.comments.push_back(std::string("trove.level=") + anon::ToString(opts.policy.level));
  auto out = CaptureOutput::Open(tmp, opts.format, {rep.linktype}, co);
  if (!out.ok()) return out.status();
  auto fail = [&](const Status& st) -> Status {
    out->reset();
    if (!to_stdout) ::unlink(tmp.c_str());
    return st;
  };

  anon::PacketTransform xf(opts.policy, opts.mapper);
  Progress progress("anonymizing", (*src)->BytesTotal(), opts.progress && ::isatty(2));
  const auto t0 = std::chrono::steady_clock::now();
  ByteBuffer buf(1 << 16);
  PacketRef pkt;
  DecodedPacket d;
  uint32_t wirelen = 0;
  for (;;) {
    const auto r = (*src)->Read(&pkt);
    if (r == PacketSource::ReadResult::kEnd) break;
    if (r == PacketSource::ReadResult::kError) {
      rep.input_error = (*src)->error().message();
      break;
    }
    if (r != PacketSource::ReadResult::kPacket) continue;
    if (pkt.linktype != rep.linktype) {  // a pcapng with interfaces of several link types
      rep.input_error = opts.in + ": a packet of link type " + LinkTypeName(pkt.linktype) +
                        " after link type " + LinkTypeName(rep.linktype) + " at offset " +
                        std::to_string((*src)->BytesConsumed()) +
                        ": trove anon writes one link type; split the file per interface "
                        "(e.g. tshark -Y frame.interface_id==N -w) and anonymise each part";
      break;
    }
    Decode(pkt, &d);
    if (xf.Apply(pkt, d, &buf, &wirelen)) {
      Status st = (*out)->Write(rep.linktype, pkt.ts_ns, static_cast<uint32_t>(buf.size()),
                                wirelen, buf.data());
      if (!st.ok()) return fail(st);
      ++rep.packets_out;
    }
    if ((xf.stats().packets & 1023) == 0)
      progress.Update((*src)->BytesConsumed(), xf.stats().packets);
  }
  progress.Finish();
  rep.output_bytes = (*out)->bytes();
  if (Status st = (*out)->Close(); !st.ok()) return fail(st);
  if (!to_stdout && std::rename(tmp.c_str(), opts.out.c_str()) != 0)
    return fail(Status::FromErrno(errno, opts.out + ": cannot rename " + tmp + " into place"));
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.stats = xf.stats();
  return rep;
}

}  // namespace trove
