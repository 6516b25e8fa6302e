#pragma once
// Connection records for the planning tool (`trove simulate`): only what
// the storage simulation needs — start, duration and total bytes of both
// directions. Parsed from text whose format is detected from the content:
//   - `trove flows --format csv` (header line "ts,uid,...")
//   - `trove flows --format json` (one JSON array of objects)
//   (both in today's layout, whose bytes are orig_wire_bytes +
//   resp_wire_bytes, or the layout before index format 4, recognised by
//   the absence of orig_wire_bytes: orig_bytes + resp_bytes, captured)
//   - Zeek conn.log TSV (`#separator`/`#fields` header lines)
//   - Zeek conn.log JSON lines (one object per line; ts as epoch seconds or
//     RFC 3339, as Zeek's JSON::TS_ISO8601 writes it)
// or taken from trove's own rows (ConnLogRow). Bytes: trove's wire frame
// bytes of both directions (captured bytes in the old layout); Zeek's orig_bytes + resp_bytes (payload) or, with
// ZeekBytes::kIp, orig_ip_bytes + resp_ip_bytes. Zeek's unset value "-"
// counts as 0 for bytes and duration. A malformed record is an
// InvalidArgument naming the source, the line (record for a JSON array) and
// the field, unless skip_bad: then it is counted and skipped.
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/conn_log.h"
#include "util/status.h"

namespace trove {

struct PlanConn {
  int64_t ts_ns = 0;
  int64_t duration_ns = 0;
  uint64_t bytes = 0;  // both directions
  // trove rows only (empty for Zeek): the connection (ConnKey) and the
  // segment of the row, for joining a connection split across segments.
  std::string key, segment;
};

// proto and the unordered pair of endpoints: the same for both directions.
std::string ConnKey(std::string_view proto, std::string_view a_host, std::string_view a_port,
                    std::string_view b_host, std::string_view b_port);

enum class ConnFormat { kTroveCsv, kTroveJson, kZeekTsv, kZeekJson };
enum class ZeekBytes { kPayload, kIp };

const char* ConnFormatName(ConnFormat f);

struct ConnParseOptions {
  ZeekBytes zeek_bytes = ZeekBytes::kPayload;
  bool skip_bad = false;
};

struct ParsedConns {
  ConnFormat format = ConnFormat::kTroveCsv;
  std::vector<PlanConn> conns;
  uint64_t skipped = 0;  // malformed records skipped (skip_bad)
};

// `source` names the input in error messages (a file name, or "stdin").
Result<ParsedConns> ParseConnRecords(std::string_view text, const std::string& source,
                                     const ConnParseOptions& opts);

PlanConn PlanConnFromRow(const ConnLogRow& row, const std::string& segment);

// "1300475167.096535" / "-0.5" / "12" -> nanoseconds (digits past the 9th
// are truncated). False when the text is not a decimal number.
bool ParseDecimalSecondsNs(std::string_view text, int64_t* ns);

}  // namespace trove
