#include "levels/derive_levels.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "anon/cryptopan_mapper.h"
#include "anon/key_file.h"
#include "anon/key_schedule.h"
#include "anon/level_policy.h"
#include "anon/packet_transform.h"
#include "levels/reverse_map.h"
#include "packet/decoder.h"
#include "segment/decoded_packets.h"
#include "segment/pcapng_format.h"
#include "util/byte_buffer.h"
#include "util/fs.h"
#include "util/log.h"

namespace trove {
namespace {

// Delegates to the keyed mapper and records owner addresses in the
// reverse map.
class RecordingMapper final : public anon::AddressMapper {
 public:
  RecordingMapper(anon::AddressMapper* inner, const std::vector<IpPrefix>* owners,
                  ReverseMapWriter* rev)
      : inner_(inner), owners_(owners), rev_(rev) {}
  void Map4(const uint8_t in[4], uint8_t out[4]) override {
    inner_->Map4(in, out);
    Record(4, in, out);
  }
  void Map6(const uint8_t in[16], uint8_t out[16]) override {
    inner_->Map6(in, out);
    Record(6, in, out);
  }
  void MapMac(const uint8_t in[6], uint8_t out[6]) override { inner_->MapMac(in, out); }

 private:
  void Record(int fam, const uint8_t* in, const uint8_t* out) {
    if (!rev_) return;
    for (const auto& p : *owners_)
      if (p.Contains(fam, in)) {
        rev_->Add(fam, in, out);
        return;
      }
  }
  anon::AddressMapper* inner_;
  const std::vector<IpPrefix>* owners_;
  ReverseMapWriter* rev_;
};

struct LevelParams {
  anon::LevelPolicy policy;
  EpochPeriod ip_period = EpochPeriod::kYear;
  EpochPeriod mac_period = EpochPeriod::kMonth;
};

Result<LevelParams> ParamsFor(const LevelConfig& l) {
  LevelParams p;
  auto lv = anon::ParsePrivacyLevel(l.policy);
  if (!lv.ok()) return lv.status().Annotate("level " + l.name);
  if (*lv == anon::PrivacyLevel::kRaw)
    return Status::InvalidArgument("level " + l.name + ": policy must be scrubbed or scrambled");
  p.policy = anon::PolicyForLevel(*lv);
  if (!l.tcp_options.empty()) {
    auto t = anon::ParseTcpOptions(l.tcp_options);
    if (!t.ok()) return t.status().Annotate("level " + l.name);
    p.policy.tcp_options = *t;
  }
  auto ip = ParseEpochPeriod(l.ip_epoch);
  if (!ip.ok()) return ip.status().Annotate("level " + l.name + " ip_epoch");
  auto mac = ParseEpochPeriod(l.mac_epoch);
  if (!mac.ok()) return mac.status().Annotate("level " + l.name + " mac_epoch");
  p.ip_period = *ip;
  p.mac_period = *mac;
  return p;
}

}  // namespace

Result<std::unique_ptr<DerivedLevels>> DerivedLevels::Create(
    const StoreConfig& config, SecretBytes master, std::string reverse_dir, StorageRouter& router,
    Catalog& catalog, SegmentWriterOptions base) {
  std::unique_ptr<DerivedLevels> d(new DerivedLevels(router, catalog));
  for (const auto& l : config.levels) {
    if (!l.enabled) continue;
    auto p = ParamsFor(l);
    if (!p.ok()) return p.status();
    if (l.parent != "raw") {
      bool found = false;
      for (const auto& e : d->levels_) found = found || e.name == l.parent;
      if (!found)
        return Status::InvalidArgument("level " + l.name + ": parent level '" + l.parent +
                                       "' is not an enabled level defined before it");
    }
    d->levels_.push_back(l);
  }
  for (const auto& o : config.owners)
    for (const auto& s : o.prefixes) {
      auto p = ParseIpPrefix(s);
      if (!p.ok()) return p.status().Annotate("owner " + o.name);
      d->owner_prefixes_.push_back(*p);
    }
  d->master_ = std::move(master);
  d->reverse_dir_ = std::move(reverse_dir);
  d->base_ = std::move(base);
  return d;
}

void DerivedLevels::OnSegmentPublished(const SegmentRecord& rec) {
  auto r = Complete(rec);
  if (!r.ok()) {
    ++counters_.errors;
    LogWarning("deriving the levels of segment " + rec.name + ": " + r.status().message() +
               " (`trove fsck` derives what is missing)");
  }
}

Result<std::vector<SegmentRecord>> DerivedLevels::Children(const SegmentRecord& parent,
                                                           const std::string& level) {
  // A child's packets lie within its parent's time range.
  SegmentQuery q;
  q.level = level;
  q.since_ns = parent.stats.first_ts_ns;
  q.until_ns = parent.stats.last_ts_ns + 1;
  auto list = catalog_.ListSegments(q);
  if (!list.ok()) return list.status();
  std::vector<SegmentRecord> out;
  for (auto& r : *list)
    if (r.parent_id == parent.id) out.push_back(std::move(r));
  return out;
}

Result<std::vector<SegmentRecord>> DerivedLevels::Complete(const SegmentRecord& raw, bool dry_run) {
  std::vector<SegmentRecord> published;
  if (raw.level != "raw") return published;
  std::map<std::string, std::vector<SegmentRecord>> by_level;
  by_level["raw"] = {raw};
  Status first_error;
  for (const auto& l : levels_) {
    auto& out = by_level[l.name];
    for (const auto& parent : by_level[l.parent]) {
      auto have = Children(parent, l.name);
      if (!have.ok()) return have.status();
      std::vector<std::string> epochs;
      for (const auto& c : *have) epochs.push_back(c.key_epoch);
      out.insert(out.end(), have->begin(), have->end());
      // A level without key epochs has one child per parent; a keyed one,
      // one per epoch (Derive skips those in `epochs`).
      auto params = ParamsFor(l);
      if (!params.ok()) return params.status();
      if (!have->empty() && !params->policy.needs_mapper()) continue;
      if (dry_run) {
        // Without reading the parent: its first and last packets' epochs
        // surely have packets, so they must have a child (an epoch in
        // between may have none, and is not checked).
        if (!have->empty()) {
          auto has = [&](int64_t ts) {
            return std::find(epochs.begin(), epochs.end(),
                             EpochOf(params->ip_period, ts).name) != epochs.end();
          };
          if (has(parent.stats.first_ts_ns) && has(parent.stats.last_ts_ns)) continue;
        }
        SegmentRecord would;
        would.name = parent.name + "." + l.name;
        would.level = l.name;
        would.parent_id = parent.id;
        published.push_back(std::move(would));
        continue;  // nor its children: they need it first
      }
      auto r = Derive(parent, l, epochs);
      if (!r.ok()) {
        if (first_error.ok())
          first_error = r.status().Annotate("level " + l.name + " of " + parent.name);
        continue;
      }
      out.insert(out.end(), r->begin(), r->end());
      published.insert(published.end(), r->begin(), r->end());
    }
  }
  if (!first_error.ok()) return first_error;
  return published;
}

Result<std::vector<SegmentRecord>> DerivedLevels::Derive(
    const SegmentRecord& parent, const LevelConfig& level,
    const std::vector<std::string>& skip_epochs) {
  auto params = ParamsFor(level);
  if (!params.ok()) return params.status();
  const anon::LevelPolicy& policy = params->policy;
  auto file = MappedFile::Open(parent.path);
  if (!file.ok()) return file.status();

  std::vector<SegmentRecord> published;
  std::unique_ptr<SegmentWriter> writer;
  std::unique_ptr<anon::CryptoPAnMapper> keyed;
  std::unique_ptr<ReverseMapWriter> rev;
  std::unique_ptr<RecordingMapper> recording;
  std::unique_ptr<anon::PacketTransform> transform;
  Epoch ip_epoch, mac_epoch;
  bool have_epoch = false;
  bool skipping = false;  // this IP epoch's child exists already
  int chunk = 0;
  Status failure;
  SegmentHeaderInfo parent_header;
  ByteBuffer out;

  auto finish_chunk = [&]() -> Status {
    // The reverse map first: a published pseudonym is always unmaskable.
    if (rev) TROVE_RETURN_IF_ERROR(rev->Flush());
    if (!writer) return Status::Ok();
    TROVE_RETURN_IF_ERROR(writer->Close());
    if (writer->counters().catalog_errors > 0)
      return Status::Internal("a derived segment of " + parent.name + " could not be catalogued");
    for (int64_t id : writer->published_ids()) {
      auto r = catalog_.GetSegment(std::to_string(id));
      if (r.ok()) published.push_back(*r);
    }
    counters_.segments += writer->published_ids().size();
    writer.reset();
    return Status::Ok();
  };

  auto new_writer = [&](const std::string& key_epoch) {
    SegmentWriterOptions o = base_;
    o.link = parent.link;
    o.location = parent.location;
    o.capture_host = parent.capture_host;
    // A capture filter may name raw addresses ("host 192.0.2.7"): a level
    // that scrambles them does not carry it.
    o.capture_filter = policy.scramble_addresses ? "" : parent.capture_filter;
    // As the parent was captured, so that every derivation of it is the
    // same file whoever runs it (the writer, fsck).
    if (!parent_header.interface.empty()) o.interface = parent_header.interface;
    if (!parent_header.source.empty()) o.source = parent_header.source;
    o.snaplen = parent.snaplen;
    o.policy.max_bytes = 0;  // one derived segment per parent and epoch
    o.policy.max_duration_ns = 0;
    o.live = false;
    o.level = level.name;
    o.key_epoch = key_epoch;
    o.parent_id = parent.id;
    o.parent_name = parent.name;
    o.class_name = parent.klass;  // a derived segment stays in its parent's class stream
    ++chunk;
    // Appended, not `"-" + std::to_string(chunk)`: GCC 12 at -O3 reports a false
    // -Wrestrict in operator+(const char*, string&&) (GCC bug 105329).
    o.name_suffix = "." + level.name;
    if (chunk > 1) o.name_suffix.append("-").append(std::to_string(chunk));
    writer = std::make_unique<SegmentWriter>(std::move(o), router_, catalog_);
  };

  // (Re)keys for a packet at ts; splits the segment at an IP epoch change.
  auto rekey = [&](int64_t ts) -> Status {
    const bool ip_changed = !have_epoch || ts < ip_epoch.begin_ns || ts >= ip_epoch.end_ns;
    const bool mac_changed = !have_epoch || ts < mac_epoch.begin_ns || ts >= mac_epoch.end_ns;
    if (!ip_changed && !mac_changed) return Status::Ok();
    if (!ip_changed && skipping) {
      mac_epoch = EpochOf(params->mac_period, ts);
      return Status::Ok();
    }
    if (ip_changed) {
      TROVE_RETURN_IF_ERROR(finish_chunk());
      ip_epoch = EpochOf(params->ip_period, ts);
      rev.reset();
      skipping =
          std::find(skip_epochs.begin(), skip_epochs.end(), ip_epoch.name) != skip_epochs.end();
      if (skipping) {
        ++chunk;  // keeps the names of the later chunks what they were
        have_epoch = true;
        mac_epoch = EpochOf(params->mac_period, ts);
        return Status::Ok();
      }
      if (policy.scramble_addresses && !owner_prefixes_.empty()) {
        auto r = ReverseMapWriter::Open(reverse_dir_, master_.span(), level.name, ip_epoch.name);
        if (!r.ok()) return r.status();
        rev = std::move(r).value();
      }
      new_writer(ip_epoch.name);
    }
    mac_epoch = EpochOf(params->mac_period, ts);
    have_epoch = true;
    auto ipk = DeriveKey(master_.span(), "ip", level.name, ip_epoch.name);
    if (!ipk.ok()) return ipk.status();
    auto mack = DeriveKey(master_.span(), "mac", level.name, mac_epoch.name);
    if (!mack.ok()) return mack.status();
    auto m = anon::CryptoPAnMapper::Create(ipk->span(), mack->span());
    if (!m.ok()) return m.status();
    keyed = std::move(m).value();
    recording = std::make_unique<RecordingMapper>(keyed.get(), &owner_prefixes_, rev.get());
    transform = std::make_unique<anon::PacketTransform>(policy, recording.get());
    return Status::Ok();
  };

  PcapngVisitor v;
  v.on_section = [&](const SectionInfo& sec, uint64_t) {
    ParseSegmentSection(sec, &parent_header);
    return true;
  };
  bool first_interface = true;
  v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
    if (first_interface) ParseSegmentInterface(i, &parent_header);
    first_interface = false;
    return true;
  };
  auto on_packet = [&](const PacketRef& in, const DecodedPacket& d, uint64_t) {
    if (policy.needs_mapper()) {
      failure = rekey(in.ts_ns);
      if (!failure.ok()) return false;
      if (skipping) return true;
    } else if (!writer) {
      transform = std::make_unique<anon::PacketTransform>(policy, nullptr);
      new_writer("");
    }
    ++counters_.packets_in;
    uint32_t wirelen = 0;
    if (!transform->Apply(in, d, &out, &wirelen)) {
      ++counters_.packets_dropped;
      return true;
    }
    PacketRef o = in;
    o.caplen = static_cast<uint32_t>(out.size());
    o.wirelen = wirelen;
    o.data = out.data();
    DecodedPacket od;
    Decode(o, &od);
    failure = writer->Append(o, od);
    if (!failure.ok()) return false;
    ++counters_.packets_out;
    return true;
  };
  PcapngParseResult pr =
      ForEachDecodedPacket((*file)->data(), (*file)->size(), std::move(v), on_packet);
  // On these error paths the open child is still published (its packets
  // are good); the error returned is the first one, the one that stopped us.
  if (!failure.ok()) {
    (void)finish_chunk();
    return failure;
  }
  if (!pr.error.ok()) {
    (void)finish_chunk();
    return pr.error.Annotate("reading " + parent.path);
  }
  TROVE_RETURN_IF_ERROR(finish_chunk());
  return published;
}

Result<std::unique_ptr<DerivedLevels>> OpenStoreLevels(Store& store, StorageRouter& router,
                                                       Catalog& catalog,
                                                       const SegmentWriterOptions& base) {
  bool any = false;
  for (const auto& l : store.config().levels) any = any || l.enabled;
  if (!any) return std::unique_ptr<DerivedLevels>();
  auto master = LoadMasterSecretFile(store.master_key_path());
  if (!master.ok() && master.status().code() == Status::Code::kNotFound) {
    LogWarning("no master key at " + store.master_key_path() +
               " (a store created before privacy levels): derived levels are not produced");
    return std::unique_ptr<DerivedLevels>();
  }
  if (!master.ok()) return master.status();
  return DerivedLevels::Create(store.config(), std::move(master).value(), store.reverse_map_dir(),
                               router, catalog, base);
}

LevelCompleterFactory StoreLevelCompleter() {
  return [](Store& store, StorageRouter& router, Catalog& catalog,
            const SegmentWriterOptions& base) -> Result<std::unique_ptr<LevelCompleter>> {
    auto levels = OpenStoreLevels(store, router, catalog, base);
    if (!levels.ok()) return levels.status();
    return std::unique_ptr<LevelCompleter>(std::move(*levels));
  };
}

}  // namespace trove
