#include "query/query_filter.h"

namespace trove {

Status QueryFilter::Prepare(uint16_t linktype) {
  if (progs_.count(linktype)) return Status::Ok();
  auto p = BpfProgram::Compile(expr_, linktype);
  if (!p.ok()) return p.status();
  progs_.emplace(linktype, std::move(p).value());
  return Status::Ok();
}

}  // namespace trove
