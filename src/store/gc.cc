#include "store/gc.h"

namespace trove {

bool GcReport::has_problems() const {
  for (const auto& l : links)
    if (!l.expiry.problems.empty()) return true;
  return false;
}

Result<GcReport> RunGc(Store& store, const GcOptions& opts) {
  // gc deletes: never in a copy of a live store or in another store's area.
  if (!opts.expiry.dry_run) TROVE_RETURN_IF_ERROR(store.CheckWritable());
  if (!opts.link.empty() && !store.FindLink(opts.link))
    return Status::InvalidArgument("no link named '" + opts.link + "' in " + store.dir() +
                                   "/trove.toml");
  const auto policies = PoliciesFrom(store.config().classes);
  const std::string run_dir = JoinPath(store.dir(), "run");
  GcReport rep;
  for (const auto& l : store.config().links) {
    if (!opts.link.empty() && l.name != opts.link) continue;
    GcLinkReport lr;
    lr.link = l.name;
    auto lock = store.LockLink(l.name);
    if (!lock.ok()) {
      lr.busy = true;
      rep.links.push_back(std::move(lr));
      continue;
    }
    auto ex = EnforceExpiry(store.fs(), store.catalog(), run_dir, l.name, policies, opts.expiry);
    if (!ex.ok()) return ex.status().Annotate("link " + l.name);
    lr.expiry = std::move(ex).value();
    if (!opts.expiry.dry_run) lr.swept = SweepExpiredFiles(store.fs(), store.catalog(), l.name);
    auto usage = ClassUsages(store.fs(), store.catalog(), l.name);
    if (!usage.ok()) return usage.status();
    lr.usage = std::move(usage).value();
    rep.segments_expired += lr.expiry.expired.size();
    rep.bytes_freed += lr.expiry.bytes_freed;
    rep.links.push_back(std::move(lr));
  }
  return rep;
}

}  // namespace trove
