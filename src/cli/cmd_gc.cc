// trove gc: enforce the classes' disk budgets and retention now.
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "cli/output.h"
#include "cli/store_access.h"
#include "store/expiry.h"
#include "util/time_util.h"

namespace trove::cli {

namespace {

nlohmann::json UsageJson(const ClassUsage& u) {
  return {{"link", u.link},
          {"class", u.klass},
          {"segments", u.segments},
          {"bytes", u.bytes},
          {"oldest_ns", u.oldest_ns},
          {"newest_ns", u.newest_ns},
          {"retained_ns", u.newest_ns - u.oldest_ns}};
}

}  // namespace

void RegisterGc(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "gc", "Expire the oldest segments of classes over their disk budget or retention");
  struct Opts {
    std::string link;
    bool dry_run = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--link", o->link, "Only this link");
  cmd->add_flag("--dry-run,-n", o->dry_run, "Report what would expire; change nothing");
  cmd->add_flag("--json", o->json, "JSON report on stdout");
  cmd->callback([&g, o] {
    auto store = OpenStoreOrThrow(g);
    // gc deletes: never in a copy of a live store or another store's area.
    if (Status w = store->CheckWritable(); !w.ok() && !o->dry_run) throw ExitError{1, w.message()};
    if (!o->link.empty() && !store->FindLink(o->link))
      throw ExitError{2, "no link named '" + o->link + "' in " + store->dir() + "/trove.toml"};
    ExpiryOptions eo;
    eo.dry_run = o->dry_run;
    // Test seam: TROVE_TEST_EXPIRY_KILL=journal|catalog|file ends the
    // process with SIGKILL right after that step (crash-safety tests).
    if (const char* k = std::getenv("TROVE_TEST_EXPIRY_KILL"); k && *k) {
      const std::string at = k;
      eo.step_hook = [at](const char* step) {
        if (at == step) std::raise(SIGKILL);
      };
    }
    const auto policies = PoliciesFrom(store->config().classes);
    const std::string run_dir = JoinPath(store->dir(), "run");
    nlohmann::json links = nlohmann::json::array();
    uint64_t total_expired = 0, total_freed = 0;
    int rc = 0;
    for (const auto& l : store->config().links) {
      if (!o->link.empty() && l.name != o->link) continue;
      nlohmann::json lj{{"link", l.name}};
      auto lock = store->LockLink(l.name);
      if (!lock.ok()) {
        // The running capture/import enforces its link itself.
        lj["busy"] = true;
        links.push_back(lj);
        if (!o->json)
          std::printf("link %s: in use by a running ingest (it enforces expiry itself)\n",
                      l.name.c_str());
        continue;
      }
      auto rep = EnforceExpiry(store->fs(), store->catalog(), run_dir, l.name, policies, eo);
      if (!rep.ok()) throw ExitError{1, "link " + l.name + ": " + rep.status().message()};
      std::vector<std::string> swept;
      if (!o->dry_run) swept = SweepExpiredFiles(store->fs(), store->catalog(), l.name);
      auto usage = ClassUsages(store->fs(), store->catalog(), l.name);
      if (!usage.ok()) throw ExitError{1, usage.status().message()};
      nlohmann::json ex = nlohmann::json::array();
      for (const auto& e : rep->expired)
        ex.push_back({{"id", e.id},
                      {"name", e.name},
                      {"class", e.klass},
                      {"level", e.level},
                      {"reason", e.reason},
                      {"bytes", e.bytes}});
      nlohmann::json uj = nlohmann::json::array();
      for (const auto& u : *usage) uj.push_back(UsageJson(u));
      lj["busy"] = false;
      lj["journal_finished"] = rep->journal_finished;
      lj["expired"] = ex;
      lj["bytes_freed"] = rep->bytes_freed;
      lj["swept"] = swept;
      lj["classes"] = uj;
      lj["problems"] = rep->problems;
      links.push_back(lj);
      total_expired += rep->expired.size();
      total_freed += rep->bytes_freed;
      if (!rep->problems.empty()) rc = 1;
      if (!o->json) {
        if (rep->journal_finished)
          std::printf("link %s: finished an interrupted expiry\n", l.name.c_str());
        for (const auto& e : rep->expired)
          std::printf("%s %s (class %s, %s, %s, %s)\n", o->dry_run ? "would expire" : "expired",
                      e.name.c_str(), e.klass.c_str(), e.level.c_str(), e.reason.c_str(),
                      FormatBytes(static_cast<double>(e.bytes)).c_str());
        for (const auto& p : swept)
          std::printf("removed %s (file of an expired segment)\n", p.c_str());
        for (const auto& u : *usage)
          std::printf("link %s class %s: %llu segments, %s, %s .. %s\n", l.name.c_str(),
                      u.klass.empty() ? "-" : u.klass.c_str(),
                      static_cast<unsigned long long>(u.segments),
                      FormatBytes(static_cast<double>(u.bytes)).c_str(),
                      FormatRfc3339(u.oldest_ns).c_str(), FormatRfc3339(u.newest_ns).c_str());
        for (const auto& p : rep->problems) std::fprintf(stderr, "trove: gc: %s\n", p.c_str());
      }
    }
    if (o->json) {
      PrintJson({{"dry_run", o->dry_run},
                 {"segments_expired", total_expired},
                 {"bytes_freed", total_freed},
                 {"links", links}});
    } else {
      std::printf("%s %llu segments, %s\n", o->dry_run ? "would expire" : "expired",
                  static_cast<unsigned long long>(total_expired),
                  FormatBytes(static_cast<double>(total_freed)).c_str());
    }
    if (rc) throw ExitError{rc, ""};
  });
}

}  // namespace trove::cli
