// Tests for levels/derive_levels.h and levels/reverse_map.h: a raw segment
// gets one scrubbed child and scrambled children (split at the IP key
// epoch boundary), named PARENT.LEVEL[-N], with level / key epoch / parent
// in the header and the catalogue; the scrambled addresses are the
// CryptoPAn pseudonyms under the derived key of their epoch; re-deriving
// gives byte-identical files; only owner addresses enter the encrypted
// reverse map, which authenticates its records and drops a torn tail.

#include "levels/derive_levels.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>

#include "anon/cryptopan_mapper.h"
#include "anon/key_schedule.h"
#include "packet/ip_prefix.h"
#include "levels/reverse_map.h"
#include "segment/segment_scan.h"
#include "segment/segment_test_util.h"

namespace trove {
namespace {

using segtest::Harness;
using segtest::TempDir;

// 2025-12-31T23:59:50Z: the stream below crosses into 2026.
constexpr int64_t kNewYearEve = 1767225590LL * 1'000'000'000;
constexpr int64_t kNewYear = 1767225600LL * 1'000'000'000;

SecretBytes Master() {
  SecretBytes m(32);
  for (size_t i = 0; i < 32; ++i) m.data()[i] = static_cast<uint8_t>(0x40 + i);
  return m;
}

StoreConfig ConfigWithOwner() {
  StoreConfig c = DefaultStoreConfig();
  // 10.0.0.1 (the streams' source) is the owner's; 10.0.0.2 is not.
  c.owners = {OwnerConfig{"me", {"10.0.0.0/31"}}};
  return c;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// IPv4 source/destination of every packet of an Ethernet segment.
std::vector<std::pair<std::array<uint8_t, 4>, std::array<uint8_t, 4>>> Addresses(
    const std::string& path) {
  std::vector<std::pair<std::array<uint8_t, 4>, std::array<uint8_t, 4>>> out;
  std::string data = ReadAll(path);
  PcapngVisitor v;
  v.on_packet = [&](const PcapngPacket& p) {
    EXPECT_GE(p.caplen, 34u);
    if (p.caplen < 34) return true;
    std::array<uint8_t, 4> s, d;
    std::memcpy(s.data(), p.data + 26, 4);
    std::memcpy(d.data(), p.data + 30, 4);
    out.emplace_back(s, d);
    return true;
  };
  auto r = ParsePcapng(reinterpret_cast<const uint8_t*>(data.data()), data.size(), v);
  EXPECT_TRUE(r.error.ok()) << r.error.ToString();
  return out;
}

struct Derived {
  SegmentRecord raw;
  std::vector<SegmentRecord> all;
  const SegmentRecord* Find(const std::string& name) const {
    for (const auto& r : all)
      if (r.name == name) return &r;
    return nullptr;
  }
};

std::unique_ptr<DerivedLevels> MakeLevels(Harness& h, const StoreConfig& c) {
  auto d = DerivedLevels::Create(c, Master(), h.dir / "keys/reverse", *h.router, *h.catalog,
                                 segtest::TestWriterOptions());
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(d).value() : nullptr;
}

TEST(DerivedLevels, ScrubbedAndScrambledChildrenSplitAtEpoch) {
  Harness h;
  auto raws = segtest::WriteSegments(*h.catalog, *h.router,
                                     segtest::UdpStream(40, kNewYearEve, 500'000'000));
  ASSERT_EQ(raws.size(), 1u);
  const SegmentRecord raw = raws[0];
  auto levels = MakeLevels(h, ConfigWithOwner());
  ASSERT_NE(levels, nullptr);
  levels->OnSegmentPublished(raw);
  EXPECT_EQ(levels->counters().errors, 0u);
  EXPECT_EQ(levels->counters().segments, 3u);

  auto scrubbed = h.catalog->GetSegment(raw.name + ".scrubbed");
  ASSERT_TRUE(scrubbed.ok()) << scrubbed.status().ToString();
  EXPECT_EQ(scrubbed->level, "scrubbed");
  EXPECT_EQ(scrubbed->parent_id, raw.id);
  EXPECT_EQ(scrubbed->stats.packets, 40u);
  auto s1 = h.catalog->GetSegment(raw.name + ".scrambled");
  auto s2 = h.catalog->GetSegment(raw.name + ".scrubbed.scrambled");
  // The parent of scrambled is the scrubbed segment: its name is the stem.
  ASSERT_FALSE(s1.ok());
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  auto s3 = h.catalog->GetSegment(raw.name + ".scrubbed.scrambled-2");
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  for (const auto* r : {&*s2, &*s3}) {
    EXPECT_EQ(r->level, "scrambled");
    EXPECT_EQ(r->parent_id, scrubbed->id);
  }
  EXPECT_EQ(s2->stats.packets + s3->stats.packets, 40u);
  EXPECT_LT(s2->stats.last_ts_ns, kNewYear);
  EXPECT_GE(s3->stats.first_ts_ns, kNewYear);

  // Self-describing headers.
  auto scan = ScanSegmentFile(s2->path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->header.level, "scrambled");
  EXPECT_EQ(scan->header.key_epoch, "2025");
  EXPECT_EQ(scan->header.parent, scrubbed->name);
  scan = ScanSegmentFile(s3->path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->header.key_epoch, "2026");
  scan = ScanSegmentFile(scrubbed->path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->header.level, "scrubbed");
  EXPECT_EQ(scan->header.key_epoch, "");
  EXPECT_EQ(scan->header.parent, raw.name);

  // Listing by level.
  SegmentQuery q;
  q.level = "scrambled";
  auto l = h.catalog->ListSegments(q);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->size(), 2u);

  // Addresses: the CryptoPAn pseudonyms under each epoch's derived key.
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::array<uint8_t, 4> want_src[2], want_dst[2];
  for (int e = 0; e < 2; ++e) {
    const SecretBytes m = Master();
    auto ipk = DeriveKey(m.span(), "ip", "scrambled", e == 0 ? "2025" : "2026");
    auto mack = DeriveKey(m.span(), "mac", "scrambled", "2025-12");
    ASSERT_TRUE(ipk.ok() && mack.ok());
    auto mapper = anon::CryptoPAnMapper::Create(ipk->span(), mack->span());
    ASSERT_TRUE(mapper.ok());
    (*mapper)->Map4(src, want_src[e].data());
    (*mapper)->Map4(dst, want_dst[e].data());
  }
  EXPECT_NE(want_src[0], want_src[1]) << "different epochs must map differently";
  auto a2 = Addresses(s2->path);
  auto a3 = Addresses(s3->path);
  ASSERT_FALSE(a2.empty());
  ASSERT_FALSE(a3.empty());
  for (const auto& [s, d] : a2) {
    EXPECT_EQ(s, want_src[0]);
    EXPECT_EQ(d, want_dst[0]);
  }
  for (const auto& [s, d] : a3) {
    EXPECT_EQ(s, want_src[1]);
    EXPECT_EQ(d, want_dst[1]);
  }
  // The scrubbed level keeps the real addresses.
  for (const auto& [s, d] : Addresses(scrubbed->path)) EXPECT_EQ(s[3], 1);

  // Reverse maps: one per epoch, holding only the owner's address.
  for (int e = 0; e < 2; ++e) {
    const std::string epoch = e == 0 ? "2025" : "2026";
    const std::string path = ReverseMapPath(h.dir / "keys/reverse", "scrambled", epoch);
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto entries = ReadReverseMap(path, Master().span(), "scrambled", epoch);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ((*entries)[0].family, 4);
    EXPECT_EQ(0, std::memcmp((*entries)[0].original.data(), src, 4));
    EXPECT_EQ(0, std::memcmp((*entries)[0].pseudonym.data(), want_src[e].data(), 4));
    // Encrypted: the original address bytes do not appear in clear.
    std::string bytes = ReadAll(path);
    EXPECT_EQ(bytes.find(std::string(reinterpret_cast<const char*>(src), 4)), std::string::npos);
    // Another key cannot read it.
    SecretBytes other(32);
    EXPECT_FALSE(ReadReverseMap(path, other.span(), "scrambled", epoch).ok());
    EXPECT_FALSE(ReadReverseMap(path, Master().span(), "scrambled", "2024").ok());
  }
}

TEST(DerivedLevels, RederivingIsByteIdentical) {
  Harness h1, h2;
  auto raws = segtest::WriteSegments(*h1.catalog, *h1.router,
                                     segtest::UdpStream(25, kNewYearEve, 100'000'000));
  ASSERT_EQ(raws.size(), 1u);
  auto l1 = MakeLevels(h1, ConfigWithOwner());
  auto l2 = MakeLevels(h2, ConfigWithOwner());
  ASSERT_TRUE(l1 && l2);
  l1->OnSegmentPublished(raws[0]);
  // h2 derives from the same raw file (its path is absolute).
  SegmentRecord raw2 = raws[0];
  l2->OnSegmentPublished(raw2);
  for (const std::string suffix : {".scrubbed", ".scrubbed.scrambled"}) {
    auto a = h1.catalog->GetSegment(raws[0].name + suffix);
    auto b = h2.catalog->GetSegment(raws[0].name + suffix);
    ASSERT_TRUE(a.ok() && b.ok()) << suffix;
    EXPECT_NE(a->path, b->path);
    EXPECT_EQ(a->sha256, b->sha256) << suffix;
    EXPECT_EQ(ReadAll(a->path), ReadAll(b->path)) << suffix;
  }
  // Re-deriving into the same store re-records nothing in the reverse map.
  const std::string map = ReverseMapPath(h1.dir / "keys/reverse", "scrambled", "2025");
  const std::string before = ReadAll(map);
  auto again = l1->Derive(raws[0], ConfigWithOwner().levels[0]);
  EXPECT_FALSE(again.ok());  // the name is taken: nothing is replaced
  EXPECT_EQ(ReadAll(map), before);
}

// What a crash leaves: a raw segment whose derivation stopped part-way.
// Complete() derives exactly what is missing, byte-identical to what the
// uninterrupted derivation wrote, and nothing twice.
TEST(DerivedLevels, CompleteDerivesOnlyWhatIsMissing) {
  Harness h;
  auto raws = segtest::WriteSegments(*h.catalog, *h.router,
                                     segtest::UdpStream(40, kNewYearEve, 500'000'000));
  ASSERT_EQ(raws.size(), 1u);
  const SegmentRecord raw = raws[0];
  auto levels = MakeLevels(h, ConfigWithOwner());
  ASSERT_NE(levels, nullptr);
  auto first = levels->Complete(raw);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 3u);  // scrubbed, scrambled 2025, scrambled 2026
  std::map<std::string, std::string> sha;
  for (const auto& r : *first) sha[r.name] = r.sha256;
  const std::string scrubbed = raw.name + ".scrubbed";
  const std::string s2025 = scrubbed + ".scrambled", s2026 = scrubbed + ".scrambled-2";
  ASSERT_EQ(sha.count(s2025) + sha.count(s2026) + sha.count(scrubbed), 3u);
  EXPECT_EQ(h.catalog->GetSegment(s2025)->key_epoch, "2025");
  EXPECT_EQ(h.catalog->GetSegment(s2026)->key_epoch, "2026");

  auto again = levels->Complete(raw);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  auto nothing = levels->Complete(raw, /*dry_run=*/true);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());

  auto forget = [&](const std::string& name) {
    auto r = h.catalog->GetSegment(name);
    ASSERT_TRUE(r.ok()) << name;
    ASSERT_TRUE(h.catalog->DeleteSegment(r->id).ok());
    ASSERT_EQ(::unlink(r->path.c_str()), 0);
  };
  // The crash came before the second epoch's child was published.
  forget(s2026);
  auto dry = levels->Complete(raw, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  ASSERT_EQ(dry->size(), 1u);
  EXPECT_EQ((*dry)[0].level, "scrambled");
  EXPECT_FALSE(h.catalog->GetSegment(s2026).ok());  // a dry run writes nothing
  auto one = levels->Complete(raw);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].name, s2026);
  EXPECT_EQ((*one)[0].sha256, sha[s2026]);
  // ... or before anything was derived.
  for (const auto& n : {s2025, s2026, scrubbed}) forget(n);
  auto all = levels->Complete(raw);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  for (const auto& r : *all) EXPECT_EQ(r.sha256, sha[r.name]) << r.name;
  // A derived segment is not a parent of levels.
  auto child = h.catalog->GetSegment(scrubbed);
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(levels->Complete(*child)->empty());
}

// The raw link's capture filter names an address: the scrubbed level keeps
// it, no byte of a scrambled file or its catalogue row shows it.
TEST(DerivedLevels, ScrambledLevelsWithholdTheCaptureFilter) {
  Harness h;
  SegmentWriterOptions o = segtest::TestWriterOptions();
  o.capture_filter = "host 10.0.0.1 or net 10.0.0.0/31";
  auto raws = segtest::WriteSegments(*h.catalog, *h.router,
                                     segtest::UdpStream(5, kNewYear + 1'000'000'000, 1'000'000), o);
  ASSERT_EQ(raws.size(), 1u);
  auto levels = MakeLevels(h, DefaultStoreConfig());
  ASSERT_NE(levels, nullptr);
  auto d = levels->Complete(raws[0]);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->size(), 2u);
  for (const auto& r : *d) {
    const std::string bytes = ReadAll(r.path);
    if (r.level == "scrubbed") {
      EXPECT_EQ(r.capture_filter, o.capture_filter);
    } else {
      EXPECT_EQ(r.capture_filter, "");
      EXPECT_EQ(bytes.find("10.0.0."), std::string::npos);
      const std::string raw_addr("\x0a\x00\x00\x01", 4);
      EXPECT_EQ(bytes.find(raw_addr), std::string::npos);
    }
  }
}

TEST(DerivedLevels, DisabledLevelsAndNoOwners) {
  Harness h;
  auto raws = segtest::WriteSegments(*h.catalog, *h.router,
                                     segtest::UdpStream(5, kNewYear + 1'000'000'000, 1'000'000));
  StoreConfig c = DefaultStoreConfig();
  c.levels[1].enabled = false;
  auto levels = MakeLevels(h, c);
  ASSERT_NE(levels, nullptr);
  levels->OnSegmentPublished(raws[0]);
  EXPECT_EQ(levels->counters().segments, 1u);
  SegmentQuery q;
  q.level = "scrambled";
  EXPECT_TRUE(h.catalog->ListSegments(q)->empty());
  // A derived segment published later is not derived again.
  auto scrubbed = h.catalog->GetSegment(raws[0].name + ".scrubbed");
  ASSERT_TRUE(scrubbed.ok());
  levels->OnSegmentPublished(*scrubbed);
  EXPECT_EQ(levels->counters().segments, 1u);
  // Without owners no reverse map is written.
  c = DefaultStoreConfig();
  Harness h2;
  auto raws2 = segtest::WriteSegments(*h2.catalog, *h2.router,
                                      segtest::UdpStream(5, kNewYear + 1'000'000'000, 1'000'000));
  auto l2 = MakeLevels(h2, c);
  l2->OnSegmentPublished(raws2[0]);
  EXPECT_EQ(l2->counters().segments, 2u);
  struct stat st;
  EXPECT_NE(::stat((h2.dir / "keys/reverse").c_str(), &st), 0);
}

TEST(ReverseMap, TornTailIsDroppedAndTamperingDetected) {
  TempDir dir;
  const SecretBytes m = Master();
  const uint8_t a[4] = {10, 1, 2, 3}, p[4] = {99, 1, 2, 3};
  const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1}, q[16] = {0x30, 0x01};
  {
    auto w = ReverseMapWriter::Open(dir.path(), m.span(), "scrambled", "2026");
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    (*w)->Add(4, a, p);
    (*w)->Add(4, a, p);  // once only
    (*w)->Add(6, b, q);
    ASSERT_TRUE((*w)->Flush().ok());
  }
  const std::string path = ReverseMapPath(dir.path(), "scrambled", "2026");
  EXPECT_EQ(ReadAll(path).size(), 2u * 63u);
  // A torn record at the end (crash mid-append).
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f.write("\x3d\x00\x01\x02", 4);
  }
  auto r = ReadReverseMap(path, m.span(), "scrambled", "2026");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 2u);
  {
    auto w = ReverseMapWriter::Open(dir.path(), m.span(), "scrambled", "2026");
    ASSERT_TRUE(w.ok());
    EXPECT_EQ((*w)->size(), 2u);
    const uint8_t c[4] = {10, 1, 2, 4}, cp[4] = {99, 1, 2, 4};
    (*w)->Add(4, c, cp);
    ASSERT_TRUE((*w)->Flush().ok());
  }
  r = ReadReverseMap(path, m.span(), "scrambled", "2026");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 3u);
  // Flip one ciphertext bit: authentication fails.
  std::string bytes = ReadAll(path);
  bytes[20] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  r = ReadReverseMap(path, m.span(), "scrambled", "2026");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
}

TEST(IpPrefix, ParseAndContains) {
  auto p = ParseIpPrefix("10.1.0.0/16");
  ASSERT_TRUE(p.ok());
  int fam;
  uint8_t a[16];
  ASSERT_TRUE(ParseIpAddress("10.1.255.3", &fam, a));
  EXPECT_TRUE(p->Contains(fam, a));
  ASSERT_TRUE(ParseIpAddress("10.2.0.1", &fam, a));
  EXPECT_FALSE(p->Contains(fam, a));
  auto p6 = ParseIpPrefix("2001:db8:1::/48");
  ASSERT_TRUE(p6.ok());
  ASSERT_TRUE(ParseIpAddress("2001:db8:1:ffff::1", &fam, a));
  EXPECT_TRUE(p6->Contains(fam, a));
  EXPECT_FALSE(p->Contains(fam, a));
  ASSERT_TRUE(ParseIpAddress("2001:db8:2::1", &fam, a));
  EXPECT_FALSE(p6->Contains(fam, a));
  auto p13 = ParseIpPrefix("10.8.0.0/13");
  ASSERT_TRUE(p13.ok());
  ASSERT_TRUE(ParseIpAddress("10.15.1.1", &fam, a));
  EXPECT_TRUE(p13->Contains(fam, a));
  ASSERT_TRUE(ParseIpAddress("10.16.1.1", &fam, a));
  EXPECT_FALSE(p13->Contains(fam, a));
  EXPECT_EQ(ParseIpPrefix("192.0.2.7")->ToString(), "192.0.2.7/32");
  EXPECT_FALSE(ParseIpPrefix("10.1.0.1/16").ok());
  EXPECT_FALSE(ParseIpPrefix("10.1.0.0/").ok());
  EXPECT_FALSE(ParseIpPrefix("::/129").ok());
  EXPECT_FALSE(ParseIpPrefix("host").ok());
}

}  // namespace
}  // namespace trove
