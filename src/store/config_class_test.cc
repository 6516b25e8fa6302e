// [[class]] and [connections] in trove.toml: parsing, defaults, the
// round trip through SerializeStoreConfig, and errors that name the class
// and carry libpcap's message.
#include <gtest/gtest.h>

#include "store/config.h"

namespace trove {
namespace {

constexpr const char* kLink = "[[link]]\nname = \"l\"\n";

TEST(ConfigClass, ParsesEveryField) {
  auto c = ParseStoreConfig(std::string(kLink) +
                                "[connections]\nmax = 5000\ntcp_timeout = \"10m\"\n"
                                "udp_timeout = 30\nfragment_timeout = \"5s\"\n"
                                "[[class]]\nname = \"web\"\nfilter = \"tcp port 80\"\n"
                                "precedence = 10\ncutoff = \"none\"\nsnaplen = 1500\n"
                                "after_cutoff = \"drop\"\ndisk_budget = \"10G\"\n"
                                "retention = \"7d\"\n"
                                "[[class]]\nname = \"rest\"\ncutoff = 15000\n",
                            "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->classes.size(), 2u);
  const ClassConfig& w = c->classes[0];
  EXPECT_EQ(w.name, "web");
  EXPECT_EQ(w.filter, "tcp port 80");
  EXPECT_EQ(w.precedence, 10);
  EXPECT_FALSE(w.has_cutoff);
  EXPECT_EQ(w.snaplen, 1500u);
  EXPECT_EQ(w.after_cutoff, AfterCutoff::kDrop);
  EXPECT_EQ(w.disk_budget, 10'000'000'000u);
  EXPECT_EQ(w.retention_ns, 7 * 86400 * 1'000'000'000ll);
  const ClassConfig& r = c->classes[1];
  EXPECT_TRUE(r.has_cutoff);
  EXPECT_EQ(r.cutoff_bytes, 15000u);
  EXPECT_EQ(r.after_cutoff, AfterCutoff::kHeaders);
  EXPECT_EQ(r.filter, "");
  EXPECT_EQ(c->connections.max_connections, 5000u);
  EXPECT_EQ(c->connections.tcp_timeout_ns, 600'000'000'000);
  EXPECT_EQ(c->connections.udp_timeout_ns, 30'000'000'000);
  EXPECT_EQ(c->connections.icmp_timeout_ns, 60'000'000'000);
  EXPECT_EQ(c->connections.fragment_timeout_ns, 5'000'000'000);
}

TEST(ConfigClass, NoClassesMeansStoreEverything) {
  auto c = ParseStoreConfig(kLink, "t.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->classes.empty());
  EXPECT_EQ(c->links[0].snaplen, 64u);  // an old config keeps its meaning
}

TEST(ConfigClass, DefaultsRoundTrip) {
  StoreConfig d = DefaultStoreConfig();
  d.classes.push_back(ClassConfig{"alarm", "host 10.0.0.1", 100, false, 0, 0, AfterCutoff::kDrop,
                                  1000, 3'600'000'000'000});
  d.connections.max_connections = 1234;
  auto c = ParseStoreConfig(SerializeStoreConfig(d), "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->classes.size(), 2u);
  EXPECT_EQ(c->classes[0].name, "default");
  EXPECT_EQ(c->classes[0].cutoff_bytes, 20480u);
  EXPECT_TRUE(c->classes[0].has_cutoff);
  EXPECT_EQ(c->classes[0].after_cutoff, AfterCutoff::kHeaders);
  EXPECT_EQ(c->classes[1].filter, "host 10.0.0.1");
  EXPECT_EQ(c->classes[1].precedence, 100);
  EXPECT_FALSE(c->classes[1].has_cutoff);
  EXPECT_EQ(c->classes[1].after_cutoff, AfterCutoff::kDrop);
  EXPECT_EQ(c->classes[1].disk_budget, 1000u);
  EXPECT_EQ(c->classes[1].retention_ns, 3'600'000'000'000);
  EXPECT_EQ(c->connections.max_connections, 1234u);
  EXPECT_EQ(c->links[0].snaplen, 0u);
}

void ExpectError(const std::string& toml, std::initializer_list<const char*> parts) {
  auto c = ParseStoreConfig(std::string(kLink) + toml, "t.toml");
  ASSERT_FALSE(c.ok()) << toml;
  for (const char* p : parts)
    EXPECT_NE(c.status().message().find(p), std::string::npos)
        << "'" << p << "' not in: " << c.status().message();
}

TEST(ConfigClass, BadFilterNamesTheClassAndLibpcapsMessage) {
  ExpectError("[[class]]\nname = \"web\"\nfilter = \"tcp prot 80\"\n",
              {"t.toml:3", "class 'web'", "bad filter 'tcp prot 80'", "libpcap: ", "syntax error"});
  ExpectError("[[class]]\nname = \"x\"\nfilter = \"port 99999\"\n",
              {"class 'x'", "libpcap: ", "port 99999"});
}

TEST(ConfigClass, OtherErrors) {
  ExpectError("[[class]]\nfilter = \"\"\n", {"class name"});
  ExpectError("[[class]]\nname = \"a\"\n[[class]]\nname = \"a\"\n", {"class 'a' is defined twice"});
  ExpectError("[[class]]\nname = \"a\"\nafter_cutoff = \"keep\"\n", {"after_cutoff"});
  ExpectError("[[class]]\nname = \"a\"\ncutoff = \"lots\"\n", {"'cutoff'"});
  ExpectError("[[class]]\nname = \"a\"\ncutoff = -1\n", {"'cutoff'", ">= 0"});
  ExpectError("[[class]]\nname = \"a\"\nprecedence = \"high\"\n", {"'precedence'"});
  ExpectError("[[class]]\nname = \"a\"\ncolour = 1\n", {"unknown key 'colour'"});
  ExpectError("[connections]\nmax = 0\n", {"max"});
  ExpectError("[connections]\nudp_timeout = 0\n", {"udp_timeout", "positive"});
  auto c = ParseStoreConfig(std::string("class = 3\n") + kLink, "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("[[class]]"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace trove
