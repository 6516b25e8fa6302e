// trove gc: enforce the classes' disk budgets and retention now.
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "cli/output.h"
#include "cli/store_access.h"
#include "store/gc.h"
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
    GcOptions go;
    go.link = o->link;
    go.expiry.dry_run = o->dry_run;
    // Test seam: TROVE_TEST_EXPIRY_KILL=journal|catalog|file ends the
    // process with SIGKILL right after that step (crash-safety tests).
    if (const char* k = std::getenv("TROVE_TEST_EXPIRY_KILL"); k && *k) {
      const std::string at = k;
      go.expiry.step_hook = [at](const char* step) {
        if (at == step) std::raise(SIGKILL);
      };
    }
    auto rep = RunGc(*store, go);
    if (!rep.ok())
      throw ExitError{rep.status().code() == Status::Code::kInvalidArgument ? 2 : 1,
                      rep.status().message()};
    nlohmann::json links = nlohmann::json::array();
    for (const GcLinkReport& l : rep->links) {
      nlohmann::json lj{{"link", l.link}, {"busy", l.busy}};
      if (l.busy) {
        links.push_back(lj);
        if (!o->json)
          std::printf("link %s: in use by a running ingest (it enforces expiry itself)\n",
                      l.link.c_str());
        continue;
      }
      nlohmann::json ex = nlohmann::json::array();
      for (const auto& e : l.expiry.expired)
        ex.push_back({{"id", e.id},
                      {"name", e.name},
                      {"class", e.klass},
                      {"level", e.level},
                      {"reason", e.reason},
                      {"bytes", e.bytes}});
      nlohmann::json uj = nlohmann::json::array();
      for (const auto& u : l.usage) uj.push_back(UsageJson(u));
      lj["journal_finished"] = l.expiry.journal_finished;
      lj["expired"] = ex;
      lj["bytes_freed"] = l.expiry.bytes_freed;
      lj["swept"] = l.swept;
      lj["classes"] = uj;
      lj["problems"] = l.expiry.problems;
      links.push_back(lj);
      if (!o->json) {
        if (l.expiry.journal_finished)
          std::printf("link %s: finished an interrupted expiry\n", l.link.c_str());
        for (const auto& e : l.expiry.expired)
          std::printf("%s %s (class %s, %s, %s, %s)\n", o->dry_run ? "would expire" : "expired",
                      e.name.c_str(), e.klass.c_str(), e.level.c_str(), e.reason.c_str(),
                      FormatBytes(static_cast<double>(e.bytes)).c_str());
        for (const auto& p : l.swept)
          std::printf("removed %s (file of an expired segment)\n", p.c_str());
        for (const auto& u : l.usage)
          std::printf("link %s class %s: %llu segments, %s, %s .. %s\n", l.link.c_str(),
                      u.klass.empty() ? "-" : u.klass.c_str(),
                      static_cast<unsigned long long>(u.segments),
                      FormatBytes(static_cast<double>(u.bytes)).c_str(),
                      FormatRfc3339(u.oldest_ns).c_str(), FormatRfc3339(u.newest_ns).c_str());
        for (const auto& p : l.expiry.problems)
          std::fprintf(stderr, "trove: gc: %s\n", p.c_str());
      }
    }
    if (o->json) {
      PrintJson({{"dry_run", o->dry_run},
                 {"segments_expired", rep->segments_expired},
                 {"bytes_freed", rep->bytes_freed},
                 {"links", links}});
    } else {
      std::printf("%s %llu segments, %s\n", o->dry_run ? "would expire" : "expired",
                  static_cast<unsigned long long>(rep->segments_expired),
                  FormatBytes(static_cast<double>(rep->bytes_freed)).c_str());
    }
    if (rep->has_problems()) throw ExitError{1, ""};
  });
}

}  // namespace trove::cli
