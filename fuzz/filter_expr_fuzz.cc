// libFuzzer target for the indexable pcap-filter parser
// (src/query/filter_expr.cc) and the planner's record judgement
// (src/query/planner.cc): any text either parses or is refused with a
// reason; a parsed expression prints, reparses to the same tree text, and
// is judged on records of every tag stack and kind without crashing, and
// `not` mirrors its judgement (Kleene).
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target filter_expr_fuzz
//   build-fuzz/filter_expr_fuzz fuzz/corpus/filter_expr -max_total_time=60

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "query/filter_expr.h"
#include "query/planner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trove;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto e = ParseIndexableFilter(text, &why);
  if (!e) {
    if (why.empty()) std::abort();  // a refusal always names its reason
    return 0;
  }
  // Tag contexts are not printed, so only expressions without vlan/mpls
  // must reparse to the same text.
  const std::string shown = e->ToString();
  if (text.find("vlan") == std::string::npos && text.find("mpls") == std::string::npos) {
    auto again = ParseIndexableFilter(shown, &why);
    if (!again || again->ToString() != shown) std::abort();
  }
  FilterExpr neg;
  neg.op = FilterExpr::Op::kNot;
  neg.kids = {*e};
  for (int v = 0; v <= 3; ++v)
    for (int m = 0; m <= 3; ++m)
      for (uint8_t kind : {0, 1, 2}) {
        ConnRecord r;
        r.key.ip_version = kind == 1 ? 6 : 4;
        r.key.kind = static_cast<FlowKind>(kind);
        r.key.proto = kind == 1 ? 58 : 6;
        r.key.addr_lo[15] = 1;
        r.key.port_hi = 80;
        r.flags = ConnRecord::TagBits(v, m);
        const Tri t = EvalOnRecord(*e, r), n = EvalOnRecord(neg, r);
        if (static_cast<int>(t) + static_cast<int>(n) != 2) std::abort();
      }
  for (int f : {0 | ConnRecord::kNonIp, ConnRecord::kNonIp | ConnRecord::kNoArp,
                ConnRecord::kUncertain | ConnRecord::kNonIp}) {
    ConnRecord r;
    r.flags = static_cast<uint8_t>(f);
    (void)EvalOnRecord(*e, r);
  }
  return 0;
}
