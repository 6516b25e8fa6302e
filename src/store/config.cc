#include "store/config.h"

#include <toml++/toml.h>

#include <cctype>
#include <limits>
#include <sstream>

#include "anon/key_schedule.h"
#include "anon/level_policy.h"
#include "levels/prefix.h"
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
      if (*v < 0) return Status::InvalidArgument(Where(origin, *n) + ": '" + key + "' must be >= 0");
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
  c.links.push_back(LinkConfig{});
  c.levels = DefaultLevels();
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
  TROVE_RETURN_IF_ERROR(
      CheckKeys(root, origin, {"storage", "link", "level", "owner"}, "top level"));
  for (const char* k : {"level", "owner"})
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
        *st, origin, {"primary", "spool", "catalog", "checkpoint_bytes", "probe_interval", "keys"},
        "storage"));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "primary", &c.storage.primary));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "spool", &c.storage.spool));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "catalog", &c.storage.catalog));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "checkpoint_bytes", &c.storage.checkpoint_bytes));
    TROVE_RETURN_IF_ERROR(GetDuration(*st, origin, "probe_interval", &c.storage.probe_interval_ns));
    TROVE_RETURN_IF_ERROR(Get(*st, origin, "keys", &c.storage.keys));
  }
  if (auto* links = root["link"].as_array()) {
    for (auto& node : *links) {
      auto* t = node.as_table();
      if (!t) return Status::InvalidArgument(Where(origin, node) + ": [[link]] must be a table");
      TROVE_RETURN_IF_ERROR(CheckKeys(*t, origin,
                                      {"name", "location", "interface", "snaplen", "promiscuous",
                                       "filter", "buffer_size", "nanosecond", "ring_size",
                                       "segment_bytes", "segment_duration"},
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
      TROVE_RETURN_IF_ERROR(GetDuration(*t, origin, "segment_duration", &l.segment.max_duration_ns));
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
  return c;
}

// The largest unit that represents ns exactly, so parsing gives it back.
static std::string DurationString(int64_t ns) {
  for (auto [div, unit] : {std::pair<int64_t, const char*>{1'000'000'000, "s"},
                           {1'000'000, "ms"},
                           {1'000, "us"}})
    if (ns % div == 0) return "\"" + std::to_string(ns / div) + unit + "\"";
  return "\"" + std::to_string(ns) + "ns\"";
}

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
