#include "store/config.h"

#include <toml++/toml.h>

#include <cctype>
#include <limits>
#include <sstream>

#include "anon/key_schedule.h"
#include "anon/level_policy.h"
#include "packet/ip_prefix.h"
#include "packet/bpf_program.h"
#include "util/process_priority.h"
#include "util/time_util.h"

namespace trove {
namespace {

std::string Where(const std::string& origin, const toml::node& n) {
  const auto& src = n.source();
  return origin + ":" + std::to_string(src.begin.line);
}

// Reads an optional key of type T; sizes accept integers or strings ("512M").
template <class T>
Status Get(const toml::table& t, const std::string& origin, const char* key, T* out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::Ok();
  // value_exact: toml++'s value<T>() would silently turn true into 1 and 1 into true.
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = n->value_exact<bool>()) {
      *out = *v;
      return Status::Ok();
    }
    return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be true or false");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = n->value_exact<std::string>()) {
      *out = *v;
      return Status::Ok();
    }
    return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be a string");
  } else {
    auto too_big = [&]() {
      return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be at most " +
                                     std::to_string(std::numeric_limits<T>::max()));
    };
    if (auto v = n->value_exact<int64_t>()) {
      if (*v < 0)
        return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be >= 0");
      if (static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) return too_big();
      *out = static_cast<T>(*v);
      return Status::Ok();
    }
    if (auto v = n->value_exact<std::string>()) {
      auto sz = ParseSize(*v);
      if (!sz.ok()) return sz.status().Annotate(Where(origin, *n) + ": '" + key + "'");
      if (*sz > std::numeric_limits<T>::max()) return too_big();
      *out = static_cast<T>(*sz);
      return Status::Ok();
    }
    return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be a number");
  }
}

Status GetDuration(const toml::table& t, const std::string& origin, const char* key, int64_t* out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::Ok();
  if (auto v = n->value_exact<int64_t>()) {  // seconds
    if (*v < 0 || *v > std::numeric_limits<int64_t>::max() / 1'000'000'000)
      return Status::InvalidArgument(Where(origin, *n) + ": '" + key +
                                     "' must be between 0 and 9223372036 seconds");
    *out = *v * 1'000'000'000;
    return Status::Ok();
  }
  if (auto v = n->value_exact<std::string>()) {
    auto d = ParseDuration(*v);
    if (!d.ok()) return d.status().Annotate(Where(origin, *n) + ": '" + key + "'");
    *out = *d;
    return Status::Ok();
  }
  return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be a duration");
}

Status CheckKeys(const toml::table& t, const std::string& origin,
                 std::initializer_list<const char*> known, const char* section) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (const char* n : known)
      if (k.str() == n) ok = true;
    if (!ok)
      return Status::InvalidArgument(Where(origin, v) + ": unknown key '" + std::string(k.str()) +
                                     "' in [" + section + "]");
  }
  return Status::Ok();
}

}  // namespace

const LinkConfig* StoreConfig::FindLink(const std::string& name) const {
  for (const auto& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

const LevelConfig* StoreConfig::FindLevel(const std::string& name) const {
  for (const auto& l : levels)
    if (l.name == name) return &l;
  return nullptr;
}

const OwnerConfig* StoreConfig::FindOwner(const std::string& name) const {
  for (const auto& o : owners)
    if (o.name == name) return &o;
  return nullptr;
}

const ClassConfig* StoreConfig::FindClass(const std::string& name) const {
  for (const auto& c : classes)
    if (c.name == name) return &c;
  return nullptr;
}

ClassConfig DefaultClass() {
  ClassConfig c;
  c.name = "default";
  return c;
}

std::vector<LevelConfig> DefaultLevels() {
  LevelConfig s;
  s.name = "scrubbed";
  s.parent = "raw";
  s.policy = "scrubbed";
  LevelConfig m;
  m.name = "scrambled";
  m.parent = "scrubbed";
  m.policy = "scrambled";
  return {s, m};
}

StoreConfig DefaultStoreConfig() {
  StoreConfig c;
  LinkConfig l;
  l.snaplen = 0;  // full packets: the default class cuts connections instead
  c.links.push_back(l);
  c.levels = DefaultLevels();
  c.classes.push_back(DefaultClass());
  return c;
}

namespace {

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char ch : n)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-')) return false;
  return true;
}

Status ParseLevels(const toml::array& arr, const std::string& origin, StoreConfig* c) {
  for (auto& node : arr) {
    auto* t = node.as_table();
    if (!t) return Status::InvalidArgument(Where(origin, node) + ": [[level]] must be a table");
    TROVE_RETURN_IF_ERROR(CheckKeys(
        *t, origin, {"name", "parent", "policy", "tcp_options", "ip_epoch", "mac_epoch", "enabled"},
        "[level]"));
    LevelConfig l;
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "name", &l.name));
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "parent", &l.parent));
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "policy", &l.policy));
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "tcp_options", &l.tcp_options));
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "ip_epoch", &l.ip_epoch));
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "mac_epoch", &l.mac_epoch));
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "enabled", &l.enabled));
    const std::string at = Where(origin, node) + ": level '" + l.name + "'";
    // Letters, digits, '_' and '-' only: the name goes into file names
    // (PARENT.LEVEL) and into key-derivation info strings.
    if (!ValidName(l.name) || l.name == "raw")
      return Status::InvalidArgument(Where(origin, node) +
                                     ": level name must be 1..64 of [A-Za-z0-9_-] and not 'raw'");
    if (c->FindLevel(l.name)) return Status::InvalidArgument(at + " is defined twice");
    if (l.parent != "raw" && !c->FindLevel(l.parent))
      return Status::InvalidArgument(at + ": parent '" + l.parent +
                                     "' must be 'raw' or a level defined above it");
    if (l.policy != "scrubbed" && l.policy != "scrambled")
      return Status::InvalidArgument(at + ": policy must be \"scrubbed\" or \"scrambled\"");
    if (!l.tcp_options.empty())
      if (auto r = anon::ParseTcpOptions(l.tcp_options); !r.ok())
        return Status::InvalidArgument(at + ": tcp_options: " + r.status().message());
    for (const auto* e : {&l.ip_epoch, &l.mac_epoch})
      if (auto r = ParseEpochPeriod(*e); !r.ok())
        return Status::InvalidArgument(at + ": epoch '" + *e +
                                       "' must be year, month, day or none");
    c->levels.push_back(std::move(l));
  }
  return Status::Ok();
}

Status ParseOwners(const toml::array& arr, const std::string& origin, StoreConfig* c) {
  for (auto& node : arr) {
    auto* t = node.as_table();
    if (!t) return Status::InvalidArgument(Where(origin, node) + ": [[owner]] must be a table");
    TROVE_RETURN_IF_ERROR(CheckKeys(*t, origin, {"name", "prefixes"}, "[owner]"));
    OwnerConfig o;
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "name", &o.name));
    if (!ValidName(o.name))
      return Status::InvalidArgument(Where(origin, node) +
                                     ": owner name must be 1..64 of [A-Za-z0-9_-]");
    if (c->FindOwner(o.name))
      return Status::InvalidArgument(Where(origin, node) + ": duplicate owner '" + o.name + "'");
    const toml::node* pn = t->get("prefixes");
    if (!pn || !pn->is_array())
      return Status::InvalidArgument(Where(origin, node) + ": owner '" + o.name +
                                     "' needs prefixes = [\"10.1.0.0/16\", ...]");
    for (auto& pe : *pn->as_array()) {
      auto v = pe.value_exact<std::string>();
      if (!v) return Status::InvalidArgument(Where(origin, pe) + ": prefixes must be strings");
      auto p = ParseIpPrefix(*v);
      if (!p.ok()) return p.status().Annotate(Where(origin, pe) + ": owner '" + o.name + "'");
      o.prefixes.push_back(p->ToString());
    }
    c->owners.push_back(std::move(o));
  }
  return Status::Ok();
}

Status ParseClasses(const toml::array& arr, const std::string& origin, StoreConfig* c) {
  for (auto& node : arr) {
    auto* t = node.as_table();
    if (!t) return Status::InvalidArgument(Where(origin, node) + ": [[class]] must be a table");
    TROVE_RETURN_IF_ERROR(CheckKeys(*t, origin,
                                    {"name", "filter", "precedence", "cutoff", "snaplen",
                                     "after_cutoff", "disk_budget", "retention"},
                                    "[class]"));
    ClassConfig k;
    k.name.clear();
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "name", &k.name));
    if (!ValidName(k.name))
      return Status::InvalidArgument(Where(origin, node) +
                                     ": class name must be 1..64 of [A-Za-z0-9_-]");
    const std::string at = Where(origin, node) + ": class '" + k.name + "'";
    if (c->FindClass(k.name)) return Status::InvalidArgument(at + " is defined twice");
    if (c->classes.size() >= 254) return Status::InvalidArgument(at + ": at most 254 classes");
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "filter", &k.filter));
    if (const toml::node* n = t->get("precedence")) {
      auto v = n->value_exact<int64_t>();
      if (!v)
        return Status::InvalidArgument(Where(origin, *n) + ": 'precedence' must be an integer");
      k.precedence = *v;
    }
    if (const toml::node* n = t->get("cutoff")) {
      if (auto v = n->value_exact<std::string>(); v && *v == "none") {
        k.has_cutoff = false;
      } else {
        TROVE_RETURN_IF_ERROR(Get(*t, origin, "cutoff", &k.cutoff_bytes));
      }
    }
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "snaplen", &k.snaplen));
    std::string after = "headers";
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "after_cutoff", &after));
    if (after == "headers")
      k.after_cutoff = AfterCutoff::kHeaders;
    else if (after == "drop")
      k.after_cutoff = AfterCutoff::kDrop;
    else
      return Status::InvalidArgument(at + ": after_cutoff must be \"headers\" or \"drop\"");
    TROVE_RETURN_IF_ERROR(Get(*t, origin, "disk_budget", &k.disk_budget));
    TROVE_RETURN_IF_ERROR(GetDuration(*t, origin, "retention", &k.retention_ns));
    // Compiled here for Ethernet so a typo fails every command at once;
    // the writer compiles again for each link type it meets.
    if (auto f = BpfProgram::Compile(k.filter, 1); !f.ok())
      return Status::InvalidArgument(at + ": bad filter '" + k.filter +
                                     "': libpcap: " + f.status().message());
    c->classes.push_back(std::move(k));
  }
  return Status::Ok();
}

Status ParseConnections(const toml::table& t, const std::string& origin, ConnectionConfig* c) {
  TROVE_RETURN_IF_ERROR(CheckKeys(
      t, origin,
      {"max", "tcp_timeout", "udp_timeout", "icmp_timeout", "other_timeout", "fragment_timeout"},
      "connections"));
  TROVE_RETURN_IF_ERROR(Get(t, origin, "max", &c->max_connections));
  if (c->max_connections == 0 || c->max_connections > 1'000'000'000)
    return Status::InvalidArgument(origin + ": [connections] max must be 1..1000000000");
  struct {
    const char* key;
    int64_t* out;
  } durations[] = {{"tcp_timeout", &c->tcp_timeout_ns},
                   {"udp_timeout", &c->udp_timeout_ns},
                   {"icmp_timeout", &c->icmp_timeout_ns},
                   {"other_timeout", &c->other_timeout_ns},
                   {"fragment_timeout", &c->fragment_timeout_ns}};
  for (auto& d : durations) {
    TROVE_RETURN_IF_ERROR(GetDuration(t, origin, d.key, d.out));
    if (*d.out <= 0)
      return Status::InvalidArgument(origin + ": [connections] " + d.key + " must be positive");
  }
  return Status::Ok();
}

Status ParseQuery(const toml::table& t, const std::string& origin, QueryConfig* q) {
  TROVE_RETURN_IF_ERROR(CheckKeys(t, origin, {"max_read_rate", "io_priority", "nice"}, "query"));
  TROVE_RETURN_IF_ERROR(Get(t, origin, "max_read_rate", &q->max_read_rate));
  TROVE_RETURN_IF_ERROR(Get(t, origin, "io_priority", &q->io_priority));
  if (auto p = IoPriority::Parse(q->io_priority); !p.ok())
    return p.status().Annotate(origin + ": [query] io_priority");
  uint32_t nice = static_cast<uint32_t>(q->nice);
  TROVE_RETURN_IF_ERROR(Get(t, origin, "nice", &nice));
  if (nice > 19) return Status::InvalidArgument(origin + ": [query] nice must be 0..19");
  q->nice = static_cast<int>(nice);
  return Status::Ok();
}

}  // namespace

Result<StoreConfig> ParseStoreConfig(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream m;
    m << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
      << e.description();
    return Status::InvalidArgument(m.str());
  }
  StoreConfig c;
  TROVE_RETURN_IF_ERROR(CheckKeys(
      root, origin, {"storage", "link", "level", "owner", "class", "connections", "query"},
      "top level"));
  for (const char* k : {"level", "owner", "class"})
    if (auto* n = root.get(k); n && !n->is_array_of_tables())
      return Status::InvalidArgument(Where(origin, *n) + ": '" + k +
                                     "' must be an array of tables, written [[" + k + "]]");
  if (auto* n = root.get("storage"); n && !n->is_table())
    return Status::InvalidArgument(Where(origin, *n) + ": 'storage' must be a [storage] table");
  if (auto* n = root.get("link"); n && !n->is_array())
    return Status::InvalidArgument(Where(origin, *n) +
                                   ": links must be an array of tables, written [[link]]");
  if (auto* st = root["storage"].as_table()) {
    TROVE_RETURN_IF_ERROR(CheckKeys(
        *st, origin,
        {"primary", "spool", "catalog", "checkpoint_bytes", "direct_io", "probe_interval", "keys"},
        "storage"));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "primary", &c.storage.primary));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "spool", &c.storage.spool));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "catalog", &c.storage.catalog));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "checkpoint_bytes", &c.storage.checkpoint_bytes));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "direct_io", &c.storage.direct_io));
    TROVE_RETURN_IF_ERROR(GetDuration(*st, origin, "probe_interval", &c.storage.probe_interval_ns));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "keys", &c.storage.keys));
  }
  if (auto* links = root["link"].as_array()) {
    for (auto& node : *links) {
      auto* t = node.as_table();
      if (!t) return Status::InvalidArgument(Where(origin, node) + ": [[link]] must be a table");
      TROVE_RETURN_IF_ERROR(
          CheckKeys(*t, origin,
                    {"name", "location", "interface", "snaplen", "promiscuous", "filter",
                     "buffer_size", "nanosecond", "ring_size", "segment_bytes", "segment_duration"},
                    "[link]"));
      LinkConfig l;
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "name", &l.name));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "location", &l.location));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "interface", &l.interface));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "snaplen", &l.snaplen));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "promiscuous", &l.promiscuous));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "filter", &l.filter));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "buffer_size", &l.buffer_bytes));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "nanosecond", &l.nanosecond));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "ring_size", &l.ring_bytes));
      TROVE_RETURN_IF_ERROR(Get(*t, origin, "segment_bytes", &l.segment.max_bytes));
      TROVE_RETURN_IF_ERROR(
          GetDuration(*t, origin, "segment_duration", &l.segment.max_duration_ns));
      if (l.name.empty() || l.name.find_first_of("/ \t\n") != std::string::npos)
        return Status::InvalidArgument(Where(origin, node) +
                                       ": link name must be non-empty without '/' or spaces");
      if (c.FindLink(l.name))
        return Status::InvalidArgument(Where(origin, node) + ": duplicate link '" + l.name + "'");
      if (l.ring_bytes < (1u << 20))
        return Status::InvalidArgument(Where(origin, node) + ": ring_size must be at least 1MiB");
      c.links.push_back(std::move(l));
    }
  }
  if (c.links.empty()) return Status::InvalidArgument(origin + ": no [[link]] defined");
  if (auto* levels = root["level"].as_array())
    TROVE_RETURN_IF_ERROR(ParseLevels(*levels, origin, &c));
  else
    c.levels = DefaultLevels();
  if (auto* owners = root["owner"].as_array())
    TROVE_RETURN_IF_ERROR(ParseOwners(*owners, origin, &c));
  if (auto* classes = root["class"].as_array())
    TROVE_RETURN_IF_ERROR(ParseClasses(*classes, origin, &c));
  if (auto* n = root.get("connections")) {
    if (!n->is_table())
      return Status::InvalidArgument(Where(origin, *n) +
                                     ": 'connections' must be a [connections] table");
    TROVE_RETURN_IF_ERROR(ParseConnections(*n->as_table(), origin, &c.connections));
  }
  if (auto* n = root.get("query")) {
    if (!n->is_table())
      return Status::InvalidArgument(Where(origin, *n) + ": 'query' must be a [query] table");
    TROVE_RETURN_IF_ERROR(ParseQuery(*n->as_table(), origin, &c.query));
  }
  return c;
}

static std::string DurationString(int64_t ns) { return "\"" + FormatDurationExact(ns) + "\""; }

std::string SerializeStoreConfig(const StoreConfig& c) {
  std::ostringstream o;
  auto q = [](const std::string& s) {
    std::ostringstream e;
    e << toml::value<std::string>(s);
    return e.str();
  };
  o << "# trove store configuration. Sizes accept suffixes (512M, 1G, 64MiB);\n"
       "# durations accept 90s, 15m, 1h, 1d. See docs/CONFIG.md.\n\n"
       "[storage]\n"
       "# Where finished segments go (may be a network mount), relative to the store or absolute.\n"
    << "primary = " << q(c.storage.primary) << "\n"
    << "# Local fallback when the primary is unavailable or full; the mover drains it.\n"
    << "spool = " << q(c.storage.spool) << "\n"
    << "catalog = " << q(c.storage.catalog) << "\n"
    << "# Bytes written between fsyncs; also the replay window kept in memory for failover.\n"
    << "checkpoint_bytes = " << c.storage.checkpoint_bytes << "\n"
    << "# Write segments with O_DIRECT (no page-cache copy; buffered where the file system\n"
    << "# does not support it).\n"
    << "direct_io = " << (c.storage.direct_io ? "true" : "false") << "\n"
    << "probe_interval = " << DurationString(c.storage.probe_interval_ns) << "\n"
    << "# Master secret of the privacy levels (mode 0600; never copied elsewhere).\n"
    << "keys = " << q(c.storage.keys) << "\n";
  for (const auto& l : c.links) {
    o << "\n[[link]]\n"
      << "name = " << q(l.name) << "\n"
      << "location = " << q(l.location) << "\n"
      << "interface = " << q(l.interface) << "\n"
      << "# Bytes kept per packet; 0 = full packets.\n"
      << "snaplen = " << l.snaplen << "\n"
      << "promiscuous = " << (l.promiscuous ? "true" : "false") << "\n"
      << "# Capture filter in pcap-filter syntax; empty = everything.\n"
      << "filter = " << q(l.filter) << "\n"
      << "buffer_size = " << l.buffer_bytes << "\n"
      << "nanosecond = " << (l.nanosecond ? "true" : "false") << "\n"
      << "ring_size = " << l.ring_bytes << "\n"
      << "# Rotation: by size (bytes, 0 = off) and/or by aligned time windows (0 = off).\n"
      << "segment_bytes = " << l.segment.max_bytes << "\n"
      << "segment_duration = " << DurationString(l.segment.max_duration_ns) << "\n";
  }
  for (const auto& l : c.levels) {
    o << "\n[[level]]\n"
      << "# Derived from its parent level when a segment is published; see docs/PRIVACY.md.\n"
      << "name = " << q(l.name) << "\n"
      << "parent = " << q(l.parent) << "\n"
      << "policy = " << q(l.policy) << "\n";
    if (!l.tcp_options.empty()) o << "tcp_options = " << q(l.tcp_options) << "\n";
    o << "ip_epoch = " << q(l.ip_epoch) << "\n"
      << "mac_epoch = " << q(l.mac_epoch) << "\n"
      << "enabled = " << (l.enabled ? "true" : "false") << "\n";
  }
  o << "\n[connections]\n"
    << "# Connection table per link: at most `max` active connections (one-packet and\n"
    << "# one-sided ones are evicted first when full); inactivity timeouts in packet time.\n"
    << "max = " << c.connections.max_connections << "\n"
    << "tcp_timeout = " << DurationString(c.connections.tcp_timeout_ns) << "\n"
    << "udp_timeout = " << DurationString(c.connections.udp_timeout_ns) << "\n"
    << "icmp_timeout = " << DurationString(c.connections.icmp_timeout_ns) << "\n"
    << "other_timeout = " << DurationString(c.connections.other_timeout_ns) << "\n"
    << "fragment_timeout = " << DurationString(c.connections.fragment_timeout_ns) << "\n";
  o << "\n[query]\n"
    << "# Retrieval yields to capture: segment bytes read per second (0 = unlimited),\n"
    << "# I/O class (idle | best-effort[:N] | none) and nice value of `trove query`.\n"
    << "max_read_rate = " << c.query.max_read_rate << "\n"
    << "io_priority = " << q(c.query.io_priority) << "\n"
    << "nice = " << c.query.nice << "\n";
  for (const auto& k : c.classes) {
    o << "\n[[class]]\n"
      << "# A connection's class is the matching class of highest precedence for its\n"
      << "# first packet. A packet is kept in full while the connection's captured bytes\n"
      << "# (both directions, including it) are <= cutoff; SYN/FIN/RST always. See "
         "docs/CONFIG.md.\n"
      << "name = " << q(k.name) << "\n"
      << "filter = " << q(k.filter) << "\n"
      << "precedence = " << k.precedence << "\n"
      << "cutoff = " << (k.has_cutoff ? std::to_string(k.cutoff_bytes) : q("none")) << "\n"
      << "snaplen = " << k.snaplen << "\n"
      << "after_cutoff = " << q(k.after_cutoff == AfterCutoff::kDrop ? "drop" : "headers") << "\n"
      << "disk_budget = " << k.disk_budget << "\n"
      << "retention = " << DurationString(k.retention_ns) << "\n";
  }
  for (const auto& ow : c.owners) {
    o << "\n[[owner]]\n"
      << "name = " << q(ow.name) << "\n"
      << "prefixes = [";
    for (size_t i = 0; i < ow.prefixes.size(); ++i) o << (i ? ", " : "") << q(ow.prefixes[i]);
    o << "]\n";
  }
  return o.str();
}

}  // namespace trove
