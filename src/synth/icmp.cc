// ICMP / ICMPv6 echo flows of `trove synth`: `ping -c N` (1..5 requests one
// second apart, Linux payload with a timeval), each answered after the
// server's RTT.

#include <cstring>

#include "synth/flow.h"
#include "synth/packet_builder.h"

namespace trove::synth {

std::unique_ptr<Flow> MakePingFlow(const FlowContext& ctx, const FlowSpec& spec) {
  Rng rng(ctx.seed, spec.serial);
  auto flow = std::make_unique<PrebuiltFlow>();
  const Host client = ctx.net->Client(spec.client);
  const Host server = ctx.net->Server(spec.server);
  const uint16_t id = static_cast<uint16_t>(rng.Next());
  const int count = static_cast<int>(rng.Range(1, 5));
  const uint32_t label = static_cast<uint32_t>(rng.Next()) & 0xFFFFF;
  uint8_t buf[kMaxFrame];
  const size_t off = IcmpPayloadOffset(spec.v6);
  uint64_t t = spec.start_ns;
  for (int i = 1; i <= count; ++i) {
    IpParams ip;
    ip.v6 = spec.v6;
    ip.flow_label = label;
    ip.src_mac = client.mac;
    ip.dst_mac = server.mac;
    ip.src4 = client.v4;
    ip.dst4 = server.v4;
    ip.src6 = client.v6;
    ip.dst6 = server.v6;
    ip.ttl = client.ttl;
    ip.ip_id = static_cast<uint16_t>(rng.Next());
    PingPayload(buf + off, t);
    flow->Add(t, buf, BuildEchoFrame(buf, ip, false, id, static_cast<uint16_t>(i), kPingPayload));
    std::swap(ip.src_mac, ip.dst_mac);
    std::swap(ip.src4, ip.dst4);
    std::swap(ip.src6, ip.dst6);
    ip.ttl = server.ttl;
    ip.ip_id = static_cast<uint16_t>(rng.Next());
    ip.dont_fragment = false;
    const uint64_t reply = t + server.rtt_ns * rng.Range(95, 110) / 100;
    flow->Add(reply, buf,
              BuildEchoFrame(buf, ip, true, id, static_cast<uint16_t>(i), kPingPayload));
    t += 1'000'000'000 + rng.Range(0, 400'000);
  }
  flow->Seal();
  return flow;
}

}  // namespace trove::synth
