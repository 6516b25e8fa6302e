#include "segment/segment_header.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>

namespace trove {
namespace {

std::map<std::string, std::string> ParseComments(const std::vector<std::string>& comments) {
  std::map<std::string, std::string> kv;
  for (const auto& c : comments) {
    if (c.rfind("trove.", 0) != 0) continue;
    size_t eq = c.find('=');
    if (eq == std::string::npos) continue;
    kv[c.substr(6, eq - 6)] = c.substr(eq + 1);
  }
  return kv;
}

uint64_t ToU64(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

std::string LocalHostName() {
  char buf[256] = "";
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

void AppendSegmentHeader(ByteBuffer* out, const SegmentHeaderInfo& h) {
  SectionInfo s;
  utsname u;
  if (uname(&u) == 0) {
    s.hardware = u.machine;
    s.os = std::string(u.sysname) + " " + u.release;
  }
  s.userappl = "trove " + h.trove_version;
  s.comments = {
      "trove segment " + h.name + " of link " + h.link + " at " + h.location,
      "trove.segment=" + h.name,
      "trove.link=" + h.link,
      "trove.location=" + h.location,
      "trove.capture_host=" + h.capture_host,
      "trove.source=" + h.source,
      "trove.level=" + h.level,
      "trove.snaplen=" + std::to_string(h.snaplen),
      "trove.start_ns=" + std::to_string(h.start_ns),
      "trove.version=" + h.trove_version,
  };
  if (!h.key_epoch.empty()) s.comments.push_back("trove.key_epoch=" + h.key_epoch);
  if (!h.parent.empty()) s.comments.push_back("trove.parent=" + h.parent);
  if (!h.klass.empty()) s.comments.push_back("trove.class=" + h.klass);
  AppendSectionHeader(out, s);

  InterfaceInfo i;
  i.linktype = h.linktype;
  i.snaplen = h.snaplen;
  i.name = h.interface;
  i.description = "trove link " + h.link + " at " + h.location + " on " + h.capture_host;
  i.filter = h.capture_filter;
  i.tsresol = 9;
  if (h.interfaces.empty()) {
    AppendInterfaceDescription(out, i);
    return;
  }
  for (size_t k = 0; k < h.interfaces.size(); ++k) {
    const InterfaceInfo& src = h.interfaces[k];
    // The source's name and description exactly (tshark shows the
    // description where there is no name); trove's identity is in the SHB.
    InterfaceInfo each;
    if (k == 0) each.filter = h.capture_filter;
    each.linktype = h.linktype;
    each.snaplen = src.snaplen;
    each.name = src.name;
    each.description = src.description;
    each.tsresol = 9;
    AppendInterfaceDescription(out, each);
  }
}

size_t SegmentTrailerSize() {
  static const size_t n = [] {
    ByteBuffer b;
    AppendSegmentTrailer(&b, SegmentStats{}, DropCounters{});
    return b.size();
  }();
  return n;
}

void AppendSegmentTrailer(ByteBuffer* out, const SegmentStats& s, const DropCounters& d) {
  InterfaceStats st;
  st.interface_id = 0;
  st.timestamp_ns = s.last_ts_ns;
  st.start_ns = s.first_ts_ns;
  st.end_ns = s.last_ts_ns;
  st.ifrecv = s.packets + d.ring + d.store;
  st.ifdrop = d.kernel;
  st.osdrop = d.ring + d.store;
  st.usrdeliv = s.packets;
  // Fixed-width values keep the trailer size constant for rotation maths.
  char buf[64];
  std::snprintf(buf, sizeof buf, "trove.drops.ring=%020llu", static_cast<unsigned long long>(d.ring));
  st.comments.push_back(buf);
  std::snprintf(buf, sizeof buf, "trove.drops.store=%020llu", static_cast<unsigned long long>(d.store));
  st.comments.push_back(buf);
  AppendInterfaceStatistics(out, st);
}

void ParseSegmentSection(const SectionInfo& s, SegmentHeaderInfo* h) {
  auto kv = ParseComments(s.comments);
  h->name = kv["segment"];
  h->link = kv["link"];
  h->location = kv["location"];
  h->capture_host = kv["capture_host"];
  h->source = kv["source"];
  h->level = kv.count("level") ? kv["level"] : "raw";
  h->key_epoch = kv["key_epoch"];
  h->parent = kv["parent"];
  h->klass = kv["class"];
  h->snaplen = static_cast<uint32_t>(ToU64(kv["snaplen"]));
  h->start_ns = static_cast<int64_t>(ToU64(kv["start_ns"]));
  h->trove_version = kv["version"];
}

void ParseSegmentInterface(const InterfaceInfo& i, SegmentHeaderInfo* h) {
  h->linktype = i.linktype;
  h->interface = i.name;
  h->capture_filter = i.filter;
}

void ParseSegmentTrailer(const InterfaceStats& st, DropCounters* d) {
  auto kv = ParseComments(st.comments);
  d->kernel = st.ifdrop;
  d->ring = ToU64(kv["drops.ring"]);
  d->store = ToU64(kv["drops.store"]);
}

}  // namespace trove
