#pragma once
// What makes a segment self-describing: the section header and interface
// description written at the start of every segment, and the interface
// statistics block written at its close. Someone who has only the file can
// tell which link, location, host, snaplen, filter, level and trove version
// it came from (capinfos and tshark show these as comments and options),
// and `trove fsck --rebuild-catalog` rebuilds the catalogue from them.
//
// Comments are "trove.KEY=VALUE" lines; unknown keys are ignored on read so
// later versions can add fields.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segment/pcapng_format.h"
#include "catalog/segment_stats.h"
#include "util/byte_buffer.h"

namespace trove {

struct SegmentHeaderInfo {
  std::string name;            // file stem, unique in the store
  std::string link;
  std::string location;
  std::string capture_host;
  std::string interface;       // capture device, or "import"
  std::string source;          // "capture" or "import"
  std::string capture_filter;
  std::string level = "raw";   // privacy level
  std::string klass;           // storage class ("" = a store without classes)
  std::string key_epoch;       // derived levels only
  std::string parent;          // derived levels only: the parent segment's name
  std::string trove_version;
  uint32_t snaplen = 0;        // 0 = full packets
  uint16_t linktype = 0;
  int64_t start_ns = 0;        // first packet
  // The packets' interfaces when the source tells them apart (a pcapng
  // with several interfaces): one IDB each, in this order (an EPB's
  // interface id indexes it), all of link type `linktype`, tsresol 9, with
  // the source's name and description; the first also carries the filter.
  // Empty: one IDB named `interface` (live capture, files libpcap reads).
  // Written only; ParseSegmentInterface reads the first IDB.
  std::vector<InterfaceInfo> interfaces;
};

// SHB + the IDBs (tsresol 9); see SegmentHeaderInfo::interfaces.
void AppendSegmentHeader(ByteBuffer* out, const SegmentHeaderInfo& h);
// Size in bytes that AppendSegmentTrailer() will add (constant).
size_t SegmentTrailerSize();
// ISB with start/end, received/stored counts and drops; fixed size.
void AppendSegmentTrailer(ByteBuffer* out, const SegmentStats& s, const DropCounters& d);

// Reads back what AppendSegmentHeader/Trailer wrote.
void ParseSegmentSection(const SectionInfo& s, SegmentHeaderInfo* h);
void ParseSegmentInterface(const InterfaceInfo& i, SegmentHeaderInfo* h);
void ParseSegmentTrailer(const InterfaceStats& st, DropCounters* d);

// The machine's host name and OS/hardware strings used in section headers.
std::string LocalHostName();

}  // namespace trove
