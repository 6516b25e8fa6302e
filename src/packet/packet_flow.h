#pragma once
// One flow key and hash per packet: ComputeFlow() fills DecodedPacket::flow
// from the decoded view (MakeFlowKey + FlowKey::Hash), and every consumer
// of the view reads the packet's flow through FlowOf(), which uses that
// cached value when present and computes it otherwise. So the writer
// thread computes the key and hash of a packet once (after Decode()), and
// code that decodes on its own (segment scans, index rebuilds) still gets
// identical results without having to call ComputeFlow().
//
// The cache follows the view: Decode() resets it, and the only other
// change to a view after decoding, ClampDecoded() (decoder.h: the cutoff
// stage cutting a packet), keeps view and flow as decoding the cut packet
// would give them.

#include "packet/decoded.h"
#include "packet/flow_key.h"
#include "packet/packet.h"

namespace trove {

// Computes the flow of `p` as decoded in *d into d->flow (state kValid or
// kNone).
inline void ComputeFlow(const PacketRef& p, DecodedPacket* d) {
  FlowRef& f = d->flow;
  if (MakeFlowKey(p, *d, &f.key, &f.src_is_hi)) {
    f.hash = f.key.Hash();
    f.state = FlowState::kValid;
  } else {
    f.state = FlowState::kNone;
  }
}

// The flow of `p` decoded as `d`, or nullptr when it has none. Uses d.flow
// when it was computed; otherwise computes it into *scratch.
inline const FlowRef* FlowOf(const PacketRef& p, const DecodedPacket& d, FlowRef* scratch) {
  if (d.flow.state == FlowState::kValid) return &d.flow;
  if (d.flow.state == FlowState::kNone) return nullptr;
  if (!MakeFlowKey(p, d, &scratch->key, &scratch->src_is_hi)) return nullptr;
  scratch->hash = scratch->key.Hash();
  scratch->state = FlowState::kValid;
  return scratch;
}

}  // namespace trove
