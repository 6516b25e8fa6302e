// Runtime control: command syntax, and its effect on the cutoff stage to
// the byte (suspended connection, changed cutoff, dynamic class for N
// seconds of packet time); the control socket end to end.
#include "flow/control_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "flow/control_server.h"
#include "flow/flow_test_util.h"

namespace trove {
namespace {

using namespace flow_test;

int Store(CutoffStage& s, const Pkt& p) {
  PacketRef r = p.ref;
  DecodedPacket d = p.d;
  return s.Process(&r, &d) ? static_cast<int>(r.caplen) : -1;
}

std::string Apply(CutoffStage& s, const std::string& line) {
  auto c = ParseControlCommand(line);
  if (!c.ok()) return "parse error: " + c.status().message();
  auto r = ApplyControlCommand(&s, *c, IngestCounters{});
  return r.ok() ? "ok: " + *r : "error: " + r.status().message();
}

TEST(FlowControl, SyntaxErrors) {
  for (const char* bad :
       {"", "frobnicate", "suspend tcp 10.0.0.1 1 10.0.0.2", "suspend icmp 1 1 1 1",
        "suspend tcp 10.0.0.1 70000 10.0.0.2 80", "suspend tcp 10.0.0.1 1 2001:db8::1 80",
        "class nothere x 10", "class 10.0.0.1 alarm 0", "class 10.0.0.1 alarm soon",
        "cutoff default lots", "cutoff default", "show more", "budget default", "budget default 0",
        "budget default lots", "retention default soon", "retention default 0s",
        "retention default 1h extra"})
    EXPECT_FALSE(ParseControlCommand(bad).ok()) << bad;
  auto c = ParseControlCommand("suspend tcp 10.0.0.2 80 10.0.0.1 40000");
  ASSERT_TRUE(c.ok());
  // The same canonical key as MakeFlowKey gives for a packet of it.
  Pkt p = Tcp(kA, 40000, kB, 80, synth::kTcpAck, 0, kSec);
  FlowKey k;
  ASSERT_TRUE(MakeFlowKey(p.ref, p.d, &k));
  EXPECT_TRUE(c->key == k);
}

TEST(FlowControl, SuspendAndResumeOneConnection) {
  CutoffStage s({Class("default", "", 0, 100)}, {});
  // 154-byte frames: the first is past a 100-byte cutoff already.
  auto data = [](int64_t t) { return Tcp(kA, 40000, kB, 80, synth::kTcpAck, 100, t); };
  auto other = [](int64_t t) { return Tcp(kA, 40001, kB, 80, synth::kTcpAck, 100, t); };
  EXPECT_EQ(Store(s, data(1)), 64);
  EXPECT_EQ(Store(s, other(1)), 64);
  EXPECT_EQ(Apply(s, "suspend tcp 10.0.0.1 40000 10.0.0.2 80"), "ok: cutoff suspended");
  EXPECT_EQ(Store(s, data(2)), 154);
  EXPECT_EQ(Store(s, other(2)), 64);  // only that connection
  EXPECT_EQ(Apply(s, "resume tcp 10.0.0.2 80 10.0.0.1 40000"), "ok: cutoff resumed");
  EXPECT_EQ(Store(s, data(3)), 64);
  EXPECT_EQ(Apply(s, "suspend udp 10.0.0.1 40000 10.0.0.2 80"), "error: no such active connection");
}

TEST(FlowControl, ChangeACutoff) {
  CutoffStage s({Class("default", "", 0, 100)}, {});
  auto data = [](int64_t t) { return Tcp(kA, 40000, kB, 80, synth::kTcpAck, 100, t); };
  EXPECT_EQ(Store(s, data(1)), 64);  // total 154 > 100
  EXPECT_EQ(Apply(s, "cutoff default 400"), "ok: class default cutoff 400");
  EXPECT_EQ(Store(s, data(2)), 154);  // 308 <= 400
  EXPECT_EQ(Store(s, data(3)), 64);   // 462 > 400
  EXPECT_EQ(Apply(s, "cutoff default none"), "ok: class default cutoff none");
  EXPECT_EQ(Store(s, data(4)), 154);
  EXPECT_EQ(Apply(s, "show"), "ok: default cutoff none");
  EXPECT_EQ(Apply(s, "cutoff nosuch 1"), "error: no class 'nosuch'");
}

// `stats`: the stage's counters as hand-counted, the ingest counters as
// given, one JSON line; without a stage only `stats` is answered.
TEST(FlowControl, StatsReply) {
  CutoffStage s({Class("default", "", 0, 100), Class("dns", "udp port 53", 5, -1)}, {});
  EXPECT_EQ(Store(s, Tcp(kA, 40000, kB, 80, synth::kTcpAck, 100, 1)), 64);  // 154 > 100: cut
  EXPECT_EQ(Store(s, Udp(kA, 5353, kB, 53, 30, 2)), 72);                    // dns, whole
  IngestCounters ic;
  ic.link = "l1";
  ic.last_packet_ns = 2;
  ic.packets_read = 2;
  ic.ring_drops = 7;
  auto c = ParseControlCommand("stats");
  ASSERT_TRUE(c.ok());
  auto r = ApplyControlCommand(&s, *c, ic);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(*r);
  EXPECT_EQ(j["link"], "l1");
  EXPECT_EQ(j["packet_ns"], 2);
  EXPECT_EQ(j["ingest"]["packets_read"], 2u);
  EXPECT_EQ(j["ingest"]["ring_drops"], 7u);
  EXPECT_EQ(j["classes"]["default"]["packets_seen"], 1u);
  EXPECT_EQ(j["classes"]["default"]["bytes_seen"], 154u);
  EXPECT_EQ(j["classes"]["default"]["bytes_stored"], 64u);
  EXPECT_EQ(j["classes"]["default"]["bytes_cut"], 90u);
  EXPECT_EQ(j["classes"]["dns"]["bytes_stored"], 72u);
  EXPECT_EQ(j["classes"]["dns"]["active_connections"], 1u);
  EXPECT_EQ(j["connections"]["active"], 2u);
  auto none = ApplyControlCommand(nullptr, *c, ic);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(nlohmann::json::parse(*none).contains("classes"));
  auto show = ParseControlCommand("show");
  EXPECT_FALSE(ApplyControlCommand(nullptr, *show, ic).ok());
  EXPECT_FALSE(ParseControlCommand("stats x").ok());
}

TEST(FlowControl, ChangeABudgetAndARetention) {
  CutoffStage s({Class("default", "", 0, 100)}, {});
  EXPECT_EQ(Apply(s, "budget default 2M"), "ok: class default budget 2000000");
  EXPECT_EQ(s.classes()[0].disk_budget, 2'000'000u);
  EXPECT_EQ(Apply(s, "retention default 90m"), "ok: class default retention 5400s");
  EXPECT_EQ(s.classes()[0].retention_ns, 5400'000'000'000);
  EXPECT_EQ(Apply(s, "show"), "ok: default cutoff 100 budget 2000000 retention 5400s");
  EXPECT_EQ(Apply(s, "budget default none"), "ok: class default budget none");
  EXPECT_EQ(Apply(s, "retention default none"), "ok: class default retention none");
  EXPECT_EQ(s.classes()[0].disk_budget, 0u);
  EXPECT_EQ(s.classes()[0].retention_ns, 0);
  EXPECT_EQ(Apply(s, "show"), "ok: default cutoff 100");
  EXPECT_EQ(Apply(s, "budget nosuch 1k"), "error: no class 'nosuch'");
}

TEST(FlowControl, DynamicClassForNSecondsOfPacketTime) {
  CutoffStage s({Class("default", "", 0, 0), Class("alarm", "ip6", -1, -1)}, {});
  auto conn = [](uint16_t port, int64_t t) {
    return Tcp(kA, port, kB, 80, synth::kTcpAck, 100, t);
  };
  EXPECT_EQ(Store(s, conn(1, 10 * kSec)), 64);  // default: cut
  EXPECT_EQ(Apply(s, "class 10.0.0.2 alarm 30"),
            "ok: new connections of the address go to class alarm for 30 s of packet time");
  EXPECT_EQ(Store(s, conn(1, 11 * kSec)), 64);      // existing connection keeps its class
  EXPECT_EQ(Store(s, conn(2, 12 * kSec)), 154);     // new one: alarm, no cutoff
  EXPECT_EQ(Store(s, conn(3, 40 * kSec)), 154);     // 30 s after 10 s: still in
  EXPECT_EQ(Store(s, conn(4, 40 * kSec + 1)), 64);  // expired
  EXPECT_EQ(s.counters()[1].connections, 2u);
  EXPECT_EQ(Apply(s, "class 10.0.0.2 nosuch 5"), "error: no class 'nosuch'");
}

TEST(FlowControl, SocketEndToEnd) {
  char dir[] = "/tmp/trove-ctl-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/l.ctl";
  auto server = ControlServer::Start(path);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  CutoffStage s({Class("default", "", 0, 100), Class("dns", "udp port 53", 5, -1)}, {});
  std::string reply, bad, show;
  std::thread client([&] {
    auto r = SendControlCommand(path, "cutoff default 5000");
    reply = r.ok() ? *r : r.status().message();
    auto b = SendControlCommand(path, "cutoff");
    bad = b.ok() ? *b : b.status().message();
    auto w = SendControlCommand(path, "show");
    show = w.ok() ? *w : w.status().message();
  });
  // The writer loop: poll between "packets" until the client is done.
  for (int i = 0; i < 5000 && (reply.empty() || bad.empty() || show.empty()); ++i) {
    if ((*server)->pending()) (*server)->Poll(&s, IngestCounters{});
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  client.join();
  EXPECT_EQ(reply, "ok: class default cutoff 5000");
  EXPECT_EQ(bad, "error: cutoff CLASS BYTES|none");
  EXPECT_EQ(show, "ok: default cutoff 5000\ndns cutoff none");  // every line of the reply
  EXPECT_EQ(s.classes()[0].cutoff_bytes, 5000u);
  server->reset();
  EXPECT_NE(::access(path.c_str(), F_OK), 0);  // socket removed
  EXPECT_FALSE(SendControlCommand(path, "show").ok());
  ::rmdir(dir);
}

}  // namespace
}  // namespace trove
