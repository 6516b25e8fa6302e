#include "plan/conn_input.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <nlohmann/json.hpp>

#include "util/time_util.h"

namespace trove {
namespace {

using Json = nlohmann::json;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t e = s.find(sep, pos);
    if (e == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, e - pos));
    pos = e + sep.size();
  }
}

bool ParseU64(std::string_view s, uint64_t* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Calls fn(line_number, line) for every line; stops at the first error.
template <class Fn>
Status ForEachLine(std::string_view text, Fn fn) {
  size_t pos = 0;
  uint64_t no = 0;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string_view::npos) e = text.size();
    ++no;
    TROVE_RETURN_IF_ERROR(fn(no, text.substr(pos, e - pos)));
    pos = e + 1;
  }
  return Status::Ok();
}

Status Bad(const std::string& source, uint64_t line, const std::string& what) {
  return Status::InvalidArgument(source + ":" + std::to_string(line) + ": " + what);
}

// A record-level failure: fatal, or counted when skip_bad.
struct Sink {
  const ConnParseOptions& opts;
  ParsedConns& out;
  Status Reject(Status s) {
    if (!opts.skip_bad) return s;
    ++out.skipped;
    return Status::Ok();
  }
};

// Text fields of the delimited formats (trove CSV, Zeek TSV).
struct Columns {
  int ts = -1, duration = -1, a = -1, b = -1;  // a, b: the two byte columns
  std::string a_name, b_name;
  // trove CSV: the connection and the segment (optional).
  int orig_h = -1, orig_p = -1, resp_h = -1, resp_p = -1, proto = -1, segment = -1;
};

Status ParseDelimitedRecord(const std::vector<std::string_view>& f, const Columns& c,
                            size_t want_fields, const std::string& source, uint64_t line,
                            bool unset_dash, PlanConn* out) {
  const char* names[] = {"ts", "duration", c.a_name.c_str(), c.b_name.c_str()};
  if (f.size() != want_fields) {
    std::string m = "expected " + std::to_string(want_fields) + " fields, got " +
                    std::to_string(f.size());
    const int idx[] = {c.ts, c.duration, c.a, c.b};
    for (int i = 0; i < 4; ++i)
      if (static_cast<size_t>(idx[i]) >= f.size()) {
        m += " (field '" + std::string(names[i]) + "' is missing)";
        break;
      }
    return Bad(source, line, m);
  }
  auto field = [&](int i) { return Trim(f[static_cast<size_t>(i)]); };
  auto dash = [&](std::string_view v) { return unset_dash && v == "-"; };
  if (!ParseDecimalSecondsNs(field(c.ts), &out->ts_ns))
    return Bad(source, line, "field 'ts': '" + std::string(field(c.ts)) + "' is not a time in seconds");
  std::string_view d = field(c.duration);
  out->duration_ns = 0;
  if (!dash(d) && (!ParseDecimalSecondsNs(d, &out->duration_ns) || out->duration_ns < 0))
    return Bad(source, line, "field 'duration': '" + std::string(d) + "' is not a duration in seconds");
  uint64_t sum = 0;
  const int cols[] = {c.a, c.b};
  for (int k = 0; k < 2; ++k) {
    std::string_view v = field(cols[k]);
    uint64_t n = 0;
    if (!dash(v) && !ParseU64(v, &n))
      return Bad(source, line, "field '" + std::string(names[2 + k]) + "': '" + std::string(v) +
                                   "' is not a byte count");
    sum += n;
  }
  out->bytes = sum;
  return Status::Ok();
}

Result<Columns> FindColumns(const std::vector<std::string_view>& header, const std::string& a,
                            const std::string& b, const std::string& source, uint64_t line) {
  Columns c;
  c.a_name = a;
  c.b_name = b;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string_view h = Trim(header[i]);
    int v = static_cast<int>(i);
    if (h == "ts") c.ts = v;
    if (h == "duration") c.duration = v;
    if (h == a) c.a = v;
    if (h == b) c.b = v;
    if (h == "id.orig_h") c.orig_h = v;
    if (h == "id.orig_p") c.orig_p = v;
    if (h == "id.resp_h") c.resp_h = v;
    if (h == "id.resp_p") c.resp_p = v;
    if (h == "proto") c.proto = v;
    if (h == "segment") c.segment = v;
  }
  const std::pair<int, std::string> need[] = {{c.ts, "ts"}, {c.duration, "duration"}, {c.a, a}, {c.b, b}};
  for (const auto& [idx, name] : need)
    if (idx < 0) return Bad(source, line, "header has no field '" + name + "'");
  return c;
}

Status ParseTroveCsv(std::string_view text, const std::string& source, Sink& sink) {
  std::optional<Columns> cols;
  size_t nfields = 0;
  return ForEachLine(text, [&](uint64_t no, std::string_view line) -> Status {
    if (Trim(line).empty()) return Status::Ok();
    auto f = Split(line, ",");
    if (!cols) {
      // The layout since index format 4 has the wire frame bytes; the old
      // one (orig_bytes, resp_bytes: captured bytes) is still read.
      const bool wire = std::any_of(f.begin(), f.end(),
                                    [](std::string_view h) { return Trim(h) == "orig_wire_bytes"; });
      auto c = FindColumns(f, wire ? "orig_wire_bytes" : "orig_bytes",
                           wire ? "resp_wire_bytes" : "resp_bytes", source, no);
      if (!c.ok()) return c.status();
      cols = *c;
      nfields = f.size();
      return Status::Ok();
    }
    PlanConn pc;
    Status st = ParseDelimitedRecord(f, *cols, nfields, source, no, false, &pc);
    if (!st.ok()) return sink.Reject(st);
    const Columns& c = *cols;
    if (c.segment >= 0 && c.proto >= 0 && c.orig_h >= 0 && c.orig_p >= 0 && c.resp_h >= 0 &&
        c.resp_p >= 0) {
      auto at = [&](int i) { return Trim(f[static_cast<size_t>(i)]); };
      pc.key = ConnKey(at(c.proto), at(c.orig_h), at(c.orig_p), at(c.resp_h), at(c.resp_p));
      pc.segment = std::string(at(c.segment));
    }
    sink.out.conns.push_back(std::move(pc));
    return Status::Ok();
  });
}

// "\x09" -> tab (Zeek writes the separator escaped).
std::string Unescape(std::string_view s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 2, s.data() + i + 4, v, 16);
      if (ec == std::errc() && p == s.data() + i + 4) {
        o.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    o.push_back(s[i]);
  }
  return o;
}

Status ParseZeekTsv(std::string_view text, const std::string& source, const ConnParseOptions& opts,
                    Sink& sink) {
  std::string sep = "\t";
  std::optional<Columns> cols;
  size_t nfields = 0;
  const bool ip = opts.zeek_bytes == ZeekBytes::kIp;
  return ForEachLine(text, [&](uint64_t no, std::string_view line) -> Status {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return Status::Ok();
    if (line.front() == '#') {
      if (line.starts_with("#separator ")) {
        sep = Unescape(line.substr(11));
        if (sep.empty()) return Bad(source, no, "empty #separator");
      } else if (line.starts_with("#fields")) {
        auto f = Split(line, sep);
        f.erase(f.begin());  // "#fields"
        auto c = FindColumns(f, ip ? "orig_ip_bytes" : "orig_bytes",
                             ip ? "resp_ip_bytes" : "resp_bytes", source, no);
        if (!c.ok()) return c.status();
        cols = *c;
        nfields = f.size();
      }
      return Status::Ok();
    }
    if (!cols) return Bad(source, no, "data line before the #fields header");
    PlanConn pc;
    Status st = ParseDelimitedRecord(Split(line, sep), *cols, nfields, source, no, true, &pc);
    if (!st.ok()) return sink.Reject(st);
    sink.out.conns.push_back(pc);
    return Status::Ok();
  });
}

// A JSON number or a numeric string as seconds -> ns.
bool JsonSeconds(const Json& v, int64_t* ns) {
  if (v.is_number_integer()) {
    *ns = v.get<int64_t>() * 1000000000;
    return true;
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return false;
    *ns = static_cast<int64_t>(std::llround(d * 1e6)) * 1000;  // Zeek: microseconds
    return true;
  }
  if (v.is_string()) return ParseDecimalSecondsNs(v.get<std::string>(), ns);
  return false;
}

bool JsonBytes(const Json& v, uint64_t* n) {
  if (v.is_number_unsigned()) {
    *n = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *n = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

// One object: trove's (ts_ns or ts; duration) or Zeek's. `absent_ok`: Zeek
// omits unset fields.
Status ParseJsonRecord(const Json& j, const std::string& a, const std::string& b, bool zeek,
                       const std::string& where, PlanConn* out) {
  auto bad = [&](const std::string& field, const std::string& what) {
    return Status::InvalidArgument(where + ": field '" + field + "': " + what);
  };
  if (!j.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
  if (!zeek && j.contains("ts_ns") && j["ts_ns"].is_number_integer()) {
    out->ts_ns = j["ts_ns"].get<int64_t>();
  } else if (!j.contains("ts")) {
    return bad("ts", "missing");
  } else if (!JsonSeconds(j["ts"], &out->ts_ns)) {
    // Zeek with JSON::TS_ISO8601 writes "2011-03-18T19:06:08.096535Z".
    const Json& t = j["ts"];
    auto iso = t.is_string() && t.get<std::string>().find('T') != std::string::npos
                   ? ParseTime(t.get<std::string>(), 0)
                   : Result<int64_t>(Status::InvalidArgument(""));
    if (!iso.ok()) return bad("ts", "not a time in seconds or RFC 3339: " + t.dump());
    out->ts_ns = *iso;
  }
  out->duration_ns = 0;
  if (j.contains("duration")) {
    if (!JsonSeconds(j["duration"], &out->duration_ns) || out->duration_ns < 0)
      return bad("duration", "not a duration in seconds: " + j["duration"].dump());
  } else if (!zeek) {
    return bad("duration", "missing");
  }
  out->bytes = 0;
  for (const std::string& k : {a, b}) {
    uint64_t n = 0;
    if (!j.contains(k)) {
      if (!zeek) return bad(k, "missing");
    } else if (!JsonBytes(j[k], &n)) {
      return bad(k, "not a byte count: " + j[k].dump());
    }
    out->bytes += n;
  }
  return Status::Ok();
}

uint64_t LineOf(std::string_view text, size_t byte) {
  uint64_t line = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

Status ParseTroveJson(std::string_view text, const std::string& source, Sink& sink) {
  Json arr;
  try {
    arr = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Bad(source, LineOf(text, e.byte ? e.byte - 1 : 0), std::string("malformed JSON: ") + e.what());
  }
  if (!arr.is_array()) return Bad(source, 1, "expected a JSON array of connection records");
  for (size_t i = 0; i < arr.size(); ++i) {
    PlanConn pc;
    // As for CSV: wire frame bytes, or an old record's captured bytes.
    const bool wire = arr[i].is_object() && arr[i].contains("orig_wire_bytes");
    Status st = ParseJsonRecord(arr[i], wire ? "orig_wire_bytes" : "orig_bytes",
                                wire ? "resp_wire_bytes" : "resp_bytes", false,
                                source + ": record " + std::to_string(i + 1), &pc);
    if (!st.ok()) {
      TROVE_RETURN_IF_ERROR(sink.Reject(st));
      continue;
    }
    const Json& r = arr[i];
    auto text = [&](const char* k) { return r.contains(k) ? (r[k].is_string() ? r[k].get<std::string>() : r[k].dump()) : std::string(); };
    if (r.contains("segment") && r.contains("proto") && r.contains("id.orig_h") &&
        r.contains("id.resp_h")) {
      pc.key = ConnKey(text("proto"), text("id.orig_h"), text("id.orig_p"), text("id.resp_h"),
                       text("id.resp_p"));
      pc.segment = text("segment");
    }
    sink.out.conns.push_back(std::move(pc));
  }
  return Status::Ok();
}

Status ParseZeekJson(std::string_view text, const std::string& source, const ConnParseOptions& opts,
                     Sink& sink) {
  const bool ip = opts.zeek_bytes == ZeekBytes::kIp;
  return ForEachLine(text, [&](uint64_t no, std::string_view line) -> Status {
    if (Trim(line).empty()) return Status::Ok();
    const std::string where = source + ":" + std::to_string(no);
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::parse_error& e) {
      return sink.Reject(Status::InvalidArgument(where + ": malformed JSON: " + e.what()));
    }
    PlanConn pc;
    Status st = ParseJsonRecord(j, ip ? "orig_ip_bytes" : "orig_bytes",
                                ip ? "resp_ip_bytes" : "resp_bytes", true, where, &pc);
    if (!st.ok()) return sink.Reject(st);
    sink.out.conns.push_back(pc);
    return Status::Ok();
  });
}

}  // namespace

const char* ConnFormatName(ConnFormat f) {
  switch (f) {
    case ConnFormat::kTroveCsv:
      return "trove-csv";
    case ConnFormat::kTroveJson:
      return "trove-json";
    case ConnFormat::kZeekTsv:
      return "zeek-tsv";
    case ConnFormat::kZeekJson:
      return "zeek-json";
  }
  return "?";
}

bool ParseDecimalSecondsNs(std::string_view s, int64_t* ns) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  const size_t dot = s.find('.');
  std::string_view ip = s.substr(0, dot), fp = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (ip.empty() && fp.empty()) return false;
  uint64_t whole = 0, frac = 0;
  if (!ip.empty() && !ParseU64(ip, &whole)) return false;
  if (dot != std::string_view::npos && !fp.empty()) {
    for (char c : fp)
      if (c < '0' || c > '9') return false;
    std::string digits(fp.substr(0, 9));
    digits.resize(9, '0');
    if (!ParseU64(digits, &frac)) return false;
  }
  if (whole > static_cast<uint64_t>(INT64_MAX / 1000000000 - 1)) return false;
  const int64_t v = static_cast<int64_t>(whole) * 1000000000 + static_cast<int64_t>(frac);
  *ns = neg ? -v : v;
  return true;
}

Result<ParsedConns> ParseConnRecords(std::string_view text, const std::string& source,
                                     const ConnParseOptions& opts) {
  ParsedConns out;
  Sink sink{opts, out};
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i == text.size()) return Status::InvalidArgument(source + ": no connection records (empty input)");
  Status st;
  const char c = text[i];
  if (c == '[') {
    out.format = ConnFormat::kTroveJson;
    st = ParseTroveJson(text, source, sink);
  } else if (c == '{') {
    out.format = ConnFormat::kZeekJson;
    st = ParseZeekJson(text, source, opts, sink);
  } else if (c == '#') {
    out.format = ConnFormat::kZeekTsv;
    st = ParseZeekTsv(text, source, opts, sink);
  } else if (text.substr(i).starts_with("ts,")) {
    out.format = ConnFormat::kTroveCsv;
    st = ParseTroveCsv(text, source, sink);
  } else {
    return Status::InvalidArgument(
        source + ": unrecognised format (expected trove flows CSV/JSON or a Zeek conn.log, TSV or JSON)");
  }
  if (!st.ok()) return st;
  return out;
}

std::string ConnKey(std::string_view proto, std::string_view a_host, std::string_view a_port,
                    std::string_view b_host, std::string_view b_port) {
  std::string a = std::string(a_host) + "#" + std::string(a_port);
  std::string b = std::string(b_host) + "#" + std::string(b_port);
  if (b < a) std::swap(a, b);
  return std::string(proto) + "|" + a + "|" + b;
}

PlanConn PlanConnFromRow(const ConnLogRow& row, const std::string& segment) {
  PlanConn c{row.ts_ns, row.duration_ns, row.orig_wire_bytes + row.resp_wire_bytes, {}, segment};
  c.key = ConnKey(row.proto, row.orig_h, std::to_string(row.orig_p), row.resp_h,
                  std::to_string(row.resp_p));
  return c;
}

}  // namespace trove
