// Tests for store/config.h: the serializer and parser agree field by field
// (round trips of the default and of a config with every field changed),
// size and duration strings are converted to hand-computed values, and
// every kind of mistake is rejected with a message naming file:line and the
// key or link involved.

#include "store/config.h"

#include <gtest/gtest.h>

#include <string>

namespace trove {
namespace {

constexpr const char* kOrigin = "/stores/a/trove.toml";
constexpr int64_t kS = 1'000'000'000;

void ExpectSameLink(const LinkConfig& a, const LinkConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.interface, b.interface);
  EXPECT_EQ(a.snaplen, b.snaplen);
  EXPECT_EQ(a.promiscuous, b.promiscuous);
  EXPECT_EQ(a.filter, b.filter);
  EXPECT_EQ(a.buffer_bytes, b.buffer_bytes);
  EXPECT_EQ(a.nanosecond, b.nanosecond);
  EXPECT_EQ(a.ring_bytes, b.ring_bytes);
  EXPECT_EQ(a.segment.max_bytes, b.segment.max_bytes);
  EXPECT_EQ(a.segment.max_duration_ns, b.segment.max_duration_ns);
}

void ExpectSameConfig(const StoreConfig& a, const StoreConfig& b) {
  EXPECT_EQ(a.storage.primary, b.storage.primary);
  EXPECT_EQ(a.storage.spool, b.storage.spool);
  EXPECT_EQ(a.storage.catalog, b.storage.catalog);
  EXPECT_EQ(a.storage.checkpoint_bytes, b.storage.checkpoint_bytes);
  EXPECT_EQ(a.storage.probe_interval_ns, b.storage.probe_interval_ns);
  EXPECT_EQ(a.storage.keys, b.storage.keys);
  EXPECT_EQ(a.query.max_read_rate, b.query.max_read_rate);
  EXPECT_EQ(a.query.io_priority, b.query.io_priority);
  EXPECT_EQ(a.query.nice, b.query.nice);
  ASSERT_EQ(a.links.size(), b.links.size());
  for (size_t i = 0; i < a.links.size(); ++i) {
    SCOPED_TRACE("link " + std::to_string(i));
    ExpectSameLink(a.links[i], b.links[i]);
  }
  ASSERT_EQ(a.levels.size(), b.levels.size());
  for (size_t i = 0; i < a.levels.size(); ++i) {
    SCOPED_TRACE("level " + std::to_string(i));
    EXPECT_EQ(a.levels[i].name, b.levels[i].name);
    EXPECT_EQ(a.levels[i].parent, b.levels[i].parent);
    EXPECT_EQ(a.levels[i].policy, b.levels[i].policy);
    EXPECT_EQ(a.levels[i].tcp_options, b.levels[i].tcp_options);
    EXPECT_EQ(a.levels[i].ip_epoch, b.levels[i].ip_epoch);
    EXPECT_EQ(a.levels[i].mac_epoch, b.levels[i].mac_epoch);
    EXPECT_EQ(a.levels[i].enabled, b.levels[i].enabled);
  }
  ASSERT_EQ(a.owners.size(), b.owners.size());
  for (size_t i = 0; i < a.owners.size(); ++i) {
    EXPECT_EQ(a.owners[i].name, b.owners[i].name);
    EXPECT_EQ(a.owners[i].prefixes, b.owners[i].prefixes);
  }
}

StoreConfig MustParse(const std::string& text) {
  auto r = ParseStoreConfig(text, kOrigin);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
  return r.ok() ? *r : StoreConfig{};
}

// Parses text that must fail; checks the message mentions every fragment.
void ExpectError(const std::string& text, std::initializer_list<std::string> fragments) {
  auto r = ParseStoreConfig(text, kOrigin);
  ASSERT_FALSE(r.ok()) << "accepted:\n" << text;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  for (const auto& f : fragments)
    EXPECT_NE(r.status().message().find(f), std::string::npos)
        << "message lacks '" << f << "': " << r.status().message() << "\n--- input:\n"
        << text;
}

const char* kMinimal = "[[link]]\nname = \"wan\"\n";

// ------------------------------------------------------------ defaults

TEST(StoreConfig, DefaultValues) {
  StoreConfig c = DefaultStoreConfig();
  EXPECT_EQ(c.storage.primary, "segments");
  EXPECT_EQ(c.storage.spool, "spool");
  EXPECT_EQ(c.storage.catalog, "sqlite:catalog.db");
  EXPECT_EQ(c.storage.checkpoint_bytes, 16u << 20);
  EXPECT_EQ(c.storage.probe_interval_ns, 2 * kS);
  ASSERT_EQ(c.links.size(), 1u);
  EXPECT_EQ(c.links[0].name, "default");
  EXPECT_EQ(c.links[0].snaplen, 0u);  // new stores capture full packets; the class cuts
  ASSERT_EQ(c.classes.size(), 1u);
  EXPECT_EQ(c.classes[0].name, "default");
  EXPECT_EQ(c.classes[0].filter, "");
  EXPECT_TRUE(c.classes[0].has_cutoff);
  EXPECT_EQ(c.classes[0].cutoff_bytes, 20480u);
  EXPECT_EQ(c.classes[0].after_cutoff, AfterCutoff::kHeaders);
  EXPECT_EQ(c.links[0].segment.max_bytes, 512'000'000u);
  EXPECT_EQ(c.links[0].segment.max_duration_ns, 0);
  EXPECT_NE(c.FindLink("default"), nullptr);
  EXPECT_EQ(c.FindLink("other"), nullptr);
  EXPECT_EQ(c.storage.keys, "keys/master.key");
  ASSERT_EQ(c.levels.size(), 2u);
  EXPECT_EQ(c.levels[0].name, "scrubbed");
  EXPECT_EQ(c.levels[0].parent, "raw");
  EXPECT_EQ(c.levels[0].policy, "scrubbed");
  EXPECT_EQ(c.levels[1].name, "scrambled");
  EXPECT_EQ(c.levels[1].parent, "scrubbed");
  EXPECT_EQ(c.levels[1].policy, "scrambled");
  EXPECT_EQ(c.levels[1].ip_epoch, "year");
  EXPECT_EQ(c.levels[1].mac_epoch, "month");
  EXPECT_TRUE(c.levels[1].enabled);
  EXPECT_TRUE(c.owners.empty());
  EXPECT_EQ(c.query.max_read_rate, 200'000'000u);
  EXPECT_EQ(c.query.io_priority, "idle");
  EXPECT_EQ(c.query.nice, 10);
  // A config without [[level]] gets the same defaults.
  StoreConfig m = MustParse(kMinimal);
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_EQ(m.levels[1].parent, "scrubbed");
}

TEST(StoreConfig, DefaultRoundTrip) {
  const StoreConfig c = DefaultStoreConfig();
  const std::string text = SerializeStoreConfig(c);
  StoreConfig back = MustParse(text);
  ExpectSameConfig(c, back);
  // Serializing again gives the same bytes (stable output).
  EXPECT_EQ(SerializeStoreConfig(back), text);
}

TEST(StoreConfig, EveryFieldChangedRoundTrip) {
  StoreConfig c;
  c.storage.primary = "/mnt/nas/trove segments";
  c.storage.spool = "spool dir/with \"quotes\" and \\ backslash";
  c.storage.catalog = "sqlite:/var/lib/trove/cat.db";
  c.storage.checkpoint_bytes = 3'000'001;
  c.storage.probe_interval_ns = 250'000'000;  // 250 ms
  LinkConfig a;
  a.name = "wan-1";
  a.location = "Zürich, rack 4 \"B\"";
  a.interface = "enp3s0f1";
  a.snaplen = 0;
  a.promiscuous = false;
  a.filter = "tcp port 443 and host 10.0.0.1 or (udp and not port 53)";
  a.buffer_bytes = 1'234'567;
  a.nanosecond = false;
  a.ring_bytes = 3u << 20;
  a.segment.max_bytes = 0;
  a.segment.max_duration_ns = 3600 * kS;
  LinkConfig b;
  b.name = "lan";
  b.filter = "";
  b.snaplen = 65535;
  b.segment.max_bytes = 1;
  b.segment.max_duration_ns = 90 * kS;
  c.links = {a, b};
  c.storage.keys = "/etc/trove/secret \"key\"";
  LevelConfig l1;
  l1.name = "hdr";
  l1.parent = "raw";
  l1.policy = "scrubbed";
  l1.tcp_options = "strip";
  l1.ip_epoch = "none";
  l1.mac_epoch = "day";
  l1.enabled = false;
  LevelConfig l2;
  l2.name = "anon_2";
  l2.parent = "hdr";
  l2.policy = "scrambled";
  l2.tcp_options = "keep";
  l2.ip_epoch = "month";
  l2.mac_epoch = "none";
  c.levels = {l1, l2};
  c.owners = {OwnerConfig{"campus", {"10.1.0.0/16", "2001:db8:1::/48"}},
              OwnerConfig{"lab-2", {"192.0.2.7/32"}}};
  c.query.max_read_rate = 0;
  c.query.io_priority = "best-effort:5";
  c.query.nice = 19;
  StoreConfig back = MustParse(SerializeStoreConfig(c));
  ExpectSameConfig(c, back);
}

TEST(StoreConfig, LevelsAndOwners) {
  StoreConfig c = MustParse(std::string(kMinimal) +
                            "[[level]]\nname = \"l1\"\npolicy = \"scrubbed\"\n"
                            "[[level]]\nname = \"l2\"\nparent = \"l1\"\npolicy = \"scrambled\"\n"
                            "ip_epoch = \"day\"\n"
                            "[[owner]]\nname = \"me\"\nprefixes = [\"10.1.0.0/16\", "
                            "\"2001:DB8:1::/48\"]\n");
  ASSERT_EQ(c.levels.size(), 2u);
  EXPECT_EQ(c.levels[0].parent, "raw");
  EXPECT_EQ(c.levels[0].ip_epoch, "year");
  EXPECT_EQ(c.levels[1].ip_epoch, "day");
  EXPECT_EQ(c.levels[1].mac_epoch, "month");
  ASSERT_NE(c.FindOwner("me"), nullptr);
  // Prefixes are stored in canonical form.
  EXPECT_EQ(c.FindOwner("me")->prefixes,
            (std::vector<std::string>{"10.1.0.0/16", "2001:db8:1::/48"}));
  EXPECT_EQ(c.FindLevel("l3"), nullptr);
}

TEST(StoreConfigErrors, LevelsAndOwners) {
  const std::string m = kMinimal;
  ExpectError(m + "[[level]]\nname = \"x\"\npolicy = \"scrubbed\"\ncolour = 1\n",
              {kOrigin, ":6", "colour", "[level]"});
  ExpectError(m + "[[level]]\nname = \"x\"\npolicy = \"blurred\"\n", {"level 'x'", "policy"});
  ExpectError(m + "[[level]]\nname = \"x\"\nparent = \"y\"\npolicy = \"scrubbed\"\n",
              {"parent 'y'"});
  ExpectError(m + "[[level]]\nname = \"raw\"\npolicy = \"scrubbed\"\n", {"level name"});
  ExpectError(m + "[[level]]\nname = \"a/b\"\npolicy = \"scrubbed\"\n", {"level name"});
  ExpectError(m + "[[level]]\nname = \"x\"\npolicy = \"scrubbed\"\nip_epoch = \"week\"\n",
              {"week"});
  ExpectError(m + "[[level]]\nname = \"x\"\npolicy = \"scrubbed\"\ntcp_options = \"drop\"\n",
              {"tcp_options"});
  ExpectError(m + "[[level]]\nname = \"x\"\npolicy = \"scrubbed\"\n"
                  "[[level]]\nname = \"x\"\npolicy = \"scrubbed\"\n",
              {"twice"});
  ExpectError(m + "[[owner]]\nname = \"o\"\nprefixes = [\"10.1.0.1/16\"]\n", {"host bits"});
  ExpectError(m + "[[owner]]\nname = \"o\"\nprefixes = [\"10.1.0.0/33\"]\n", {"exceeds"});
  ExpectError(m + "[[owner]]\nname = \"o\"\nprefixes = [\"campus\"]\n", {"campus"});
  ExpectError(m + "[[owner]]\nname = \"o\"\n", {"prefixes"});
  ExpectError(m + "[[owner]]\nname = \"o\"\nprefixes = []\nsecret = 1\n", {"secret", "[owner]"});
  ExpectError("level = 3\n" + m, {"[[level]]"});
}

TEST(StoreConfig, SubSecondDurationsRoundTrip) {
  StoreConfig c = DefaultStoreConfig();
  c.storage.probe_interval_ns = 1'500'000;             // 1.5 ms
  c.links[0].segment.max_duration_ns = 1'500'000'000;  // 1.5 s
  StoreConfig back = MustParse(SerializeStoreConfig(c));
  ExpectSameConfig(c, back);
  c.storage.probe_interval_ns = 7;  // 7 ns
  c.links[0].segment.max_duration_ns = 2 * kS + 1;
  back = MustParse(SerializeStoreConfig(c));
  ExpectSameConfig(c, back);
}

// ------------------------------------------------------ value parsing

TEST(StoreConfig, SizesAsStringsAndIntegers) {
  StoreConfig c = MustParse(
      "[storage]\n"
      "checkpoint_bytes = \"16MiB\"\n"
      "[[link]]\n"
      "name = \"a\"\n"
      "snaplen = \"1500\"\n"
      "buffer_size = \"1G\"\n"
      "ring_size = \"64MiB\"\n"
      "segment_bytes = \"512M\"\n"
      "[[link]]\n"
      "name = \"b\"\n"
      "buffer_size = 2000000\n"
      "ring_size = 1048576\n"
      "segment_bytes = \"1.5G\"\n");
  EXPECT_EQ(c.storage.checkpoint_bytes, 16u * 1024 * 1024);
  ASSERT_EQ(c.links.size(), 2u);
  EXPECT_EQ(c.links[0].snaplen, 1500u);
  EXPECT_EQ(c.links[0].buffer_bytes, 1'000'000'000u);
  EXPECT_EQ(c.links[0].ring_bytes, 64u << 20);
  EXPECT_EQ(c.links[0].segment.max_bytes, 512'000'000u);
  EXPECT_EQ(c.links[1].buffer_bytes, 2'000'000u);
  EXPECT_EQ(c.links[1].ring_bytes, 1u << 20);
  EXPECT_EQ(c.links[1].segment.max_bytes, 1'500'000'000u);
}

TEST(StoreConfig, Durations) {
  StoreConfig c = MustParse(
      "[storage]\n"
      "probe_interval = \"500ms\"\n"
      "[[link]]\n"
      "name = \"a\"\n"
      "segment_duration = \"1h\"\n"
      "[[link]]\n"
      "name = \"b\"\n"
      "segment_duration = 10\n"  // bare integers are seconds
      "[[link]]\n"
      "name = \"c\"\n"
      "segment_duration = \"15m\"\n");
  EXPECT_EQ(c.storage.probe_interval_ns, 500'000'000);
  ASSERT_EQ(c.links.size(), 3u);
  EXPECT_EQ(c.links[0].segment.max_duration_ns, 3600 * kS);
  EXPECT_EQ(c.links[1].segment.max_duration_ns, 10 * kS);
  EXPECT_EQ(c.links[2].segment.max_duration_ns, 900 * kS);
}

TEST(StoreConfig, OmittedKeysKeepDefaults) {
  StoreConfig c = MustParse(kMinimal);
  LinkConfig want;
  want.name = "wan";
  ASSERT_EQ(c.links.size(), 1u);
  ExpectSameLink(c.links[0], want);
  StoreConfig d = DefaultStoreConfig();
  EXPECT_EQ(c.storage.primary, d.storage.primary);
  EXPECT_EQ(c.storage.probe_interval_ns, d.storage.probe_interval_ns);
  ASSERT_NE(c.FindLink("wan"), nullptr);
  EXPECT_EQ(c.FindLink("wan")->name, "wan");
}

// ------------------------------------------------------------- errors

TEST(StoreConfigErrors, UnknownKeyNamesFileLineAndKey) {
  ExpectError(
      "[storage]\n"
      "primary = \"p\"\n"
      "spoool = \"s\"\n"  // line 3
      "[[link]]\nname = \"a\"\n",
      {std::string(kOrigin) + ":3", "'spoool'", "storage"});
  ExpectError(
      "[[link]]\n"
      "name = \"a\"\n"
      "\n"
      "snap_len = 64\n",  // line 4
      {std::string(kOrigin) + ":4", "'snap_len'", "link"});
  ExpectError(
      "retention = \"30d\"\n"  // line 1
      "[[link]]\nname = \"a\"\n",
      {std::string(kOrigin) + ":1", "'retention'"});
  // The second link's unknown key is reported at its own line.
  ExpectError(
      "[[link]]\nname = \"a\"\n"
      "[[link]]\nname = \"b\"\n"
      "colour = \"red\"\n",  // line 5
      {std::string(kOrigin) + ":5", "'colour'"});
}

TEST(StoreConfigErrors, DuplicateLink) {
  ExpectError(
      "[[link]]\n"
      "name = \"wan\"\n"
      "[[link]]\n"  // line 3
      "name = \"wan\"\n",
      {std::string(kOrigin) + ":", "duplicate link 'wan'"});
  // Two links both left at the default name are duplicates too.
  ExpectError("[[link]]\n[[link]]\n", {"duplicate link 'default'"});
}

TEST(StoreConfigErrors, MissingLink) {
  ExpectError("", {kOrigin, "no [[link]]"});
  ExpectError("[storage]\nprimary = \"/x\"\n", {kOrigin, "no [[link]]"});
}

TEST(StoreConfigErrors, BadTypes) {
  const std::string o = kOrigin;
  ExpectError("[[link]]\nname = 5\n", {o + ":2", "'name'", "string"});
  ExpectError("[[link]]\npromiscuous = \"yes\"\n", {o + ":2", "'promiscuous'", "true or false"});
  ExpectError("[[link]]\nnanosecond = 1\n", {o + ":2", "'nanosecond'"});
  ExpectError("[[link]]\nsnaplen = true\n", {o + ":2", "'snaplen'", "number"});
  ExpectError("[[link]]\nsnaplen = \"lots\"\n", {o + ":2", "'snaplen'", "lots"});
  ExpectError("[[link]]\nsnaplen = -1\n", {o + ":2", "'snaplen'", ">= 0"});
  ExpectError("[[link]]\nsegment_bytes = \"12 parsecs\"\n", {o + ":2", "'segment_bytes'"});
  ExpectError("[[link]]\nbuffer_size = [1, 2]\n", {o + ":2", "'buffer_size'"});
  ExpectError("[[link]]\nsegment_duration = true\n", {o + ":2", "'segment_duration'"});
  ExpectError("[[link]]\nsegment_duration = \"soon\"\n", {o + ":2", "'segment_duration'", "soon"});
  ExpectError("[storage]\nprobe_interval = \"1 fortnight\"\n[[link]]\n",
              {o + ":2", "'probe_interval'"});
  ExpectError("[storage]\nprimary = 7\n[[link]]\n", {o + ":2", "'primary'", "string"});
  ExpectError("[storage]\ncheckpoint_bytes = \"x\"\n[[link]]\n", {o + ":2", "'checkpoint_bytes'"});
}

TEST(StoreConfigErrors, OutOfRangeValues) {
  const std::string o = kOrigin;
  // snaplen is 32 bits: a bigger value must not wrap silently.
  ExpectError("[[link]]\nsnaplen = 4294967296\n", {o + ":2", "'snaplen'"});
  ExpectError("[[link]]\nsnaplen = \"5G\"\n", {o + ":2", "'snaplen'"});
  // Durations cannot be negative.
  ExpectError("[[link]]\nsegment_duration = -10\n", {o + ":2", "'segment_duration'"});
  ExpectError("[storage]\nprobe_interval = -1\n[[link]]\n", {o + ":2", "'probe_interval'"});
  // Nor so large that nanoseconds overflow.
  ExpectError("[[link]]\nsegment_duration = 9223372036854775807\n",
              {o + ":2", "'segment_duration'"});
  ExpectError("[[link]]\nring_size = \"512KiB\"\n", {o + ":1", "ring_size", "1MiB"});
  ExpectError("[[link]]\n[query]\nnice = 20\n", {o, "[query] nice", "0..19"});
  ExpectError("[[link]]\n[query]\nio_priority = \"realtime\"\n",
              {o, "[query] io_priority", "realtime"});
  ExpectError("[[link]]\n[query]\nmax_read_rate = \"fast\"\n", {o + ":3", "'max_read_rate'"});
  ExpectError("[[link]]\n[query]\nspeed = 1\n", {o + ":3", "speed"});
}

TEST(StoreConfigErrors, BadLinkNames) {
  ExpectError("[[link]]\nname = \"\"\n", {std::string(kOrigin) + ":1", "link name"});
  ExpectError("[[link]]\nname = \"a/b\"\n", {"link name"});
  ExpectError("[[link]]\nname = \"a b\"\n", {"link name"});
}

TEST(StoreConfigErrors, WrongShapes) {
  // [storage] must be a table and link an array of tables; a typo in the
  // shape must not silently fall back to the defaults.
  ExpectError("storage = \"segments\"\n[[link]]\n", {std::string(kOrigin) + ":1", "storage"});
  ExpectError("[link]\nname = \"a\"\n", {kOrigin, "link"});
  ExpectError("link = [1, 2]\n", {std::string(kOrigin) + ":1", "link"});
}

TEST(StoreConfigErrors, TomlSyntaxErrorNamesLineAndColumn) {
  ExpectError("[[link]]\nname = \"a\"\nsnaplen = = 3\n", {std::string(kOrigin) + ":3:"});
  ExpectError("[[link]]\nname = \"unterminated\n", {std::string(kOrigin) + ":2:"});
  ExpectError("[[link]]\nname = \"a\"\nname = \"b\"\n", {std::string(kOrigin) + ":3:"});
}

}  // namespace
}  // namespace trove
