// trove fsck and trove mover.
#include "cli/output.h"
#include "cli/store_access.h"
#include "index/index_check.h"
#include "levels/derive_levels.h"
#include "store/fsck.h"
#include "store/mover.h"

namespace trove::cli {

void RegisterFsck(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "fsck", "Verify segments against the catalogue; salvage partials; adopt orphans");
  struct Opts {
    FsckOptions f;
    bool json = false, no_hash = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("--dry-run,-n", o->f.dry_run, "Report only; change nothing");
  cmd->add_flag("--rebuild-catalog", o->f.rebuild_catalog,
                "Rebuild the catalogue from the segment files alone (old one kept as a backup)");
  cmd->add_flag("--no-hash", o->no_hash, "Check sizes only, skip SHA-256 verification");
  cmd->add_flag("--json", o->json, "JSON report on stdout");
  cmd->callback([&g, o] {
    auto store = OpenStoreOrThrow(g);
    o->f.verify_hashes = !o->no_hash;
    o->f.levels = StoreLevelCompleter();
    auto rep = RunFsck(*store, o->f);
    if (!rep.ok()) throw ExitError{1, rep.status().message()};
    const FsckReport& r = *rep;
    auto ixr = CheckSegmentIndexes(store->fs(), store->catalog(), !o->f.dry_run);
    if (!ixr.ok()) throw ExitError{1, ixr.status().message()};
    const IndexCheckReport& ix = *ixr;
    if (o->json) {
      PrintJson(nlohmann::json{{"consistent", r.consistent()},
                               {"checked", r.checked},
                               {"files", r.files},
                               {"salvaged", r.salvaged},
                               {"removed", r.removed},
                               {"adopted", r.adopted},
                               {"relocated", r.relocated},
                               {"derived", r.derived},
                               {"missing", r.missing},
                               {"corrupt", r.corrupt},
                               {"busy", r.busy},
                               {"stranded", r.stranded},
                               {"partials", r.partials},
                               {"problems", r.problems},
                               {"indexes_checked", ix.checked},
                               {"indexes_rebuilt", ix.rebuilt},
                               {"indexes_bad", ix.bad},
                               {"summaries_restored", ix.summaries_restored},
                               {"indexes_upgraded", ix.upgraded},
                               {"indexes_old", ix.old},
                               {"index_errors", ix.errors}});
    } else {
      std::printf("checked %llu catalogued segments, %llu files on disk\n",
                  static_cast<unsigned long long>(r.checked), static_cast<unsigned long long>(r.files));
      auto show = [](const char* what, const std::vector<std::string>& v) {
        for (const auto& s : v) std::printf("  %s: %s\n", what, s.c_str());
      };
      show("salvaged", r.salvaged);
      show("removed", r.removed);
      show("adopted", r.adopted);
      show("relocated", r.relocated);
      show("derived", r.derived);
      show("MISSING", r.missing);
      show("CORRUPT", r.corrupt);
      show("in use", r.busy);
      show("stranded", r.stranded);
      show("PROBLEM", r.problems);
      show("index rebuilt", ix.rebuilt);
      show("INDEX BAD", ix.bad);
      show("summary restored", ix.summaries_restored);
      show("index upgraded", ix.upgraded);
      show("index of an older version (fsck without --dry-run upgrades it)", ix.old);
      show("INDEX ERROR", ix.errors);
      std::printf("%s\n", r.consistent() ? "store is consistent" : "store is NOT consistent");
    }
    if (!r.consistent() || !ix.errors.empty()) throw ExitError{3, ""};
  });
}

void RegisterMover(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "mover", "Move spooled segments to the primary path (verify SHA-256, then remove)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "JSON report on stdout");
  cmd->callback([&g, json] {
    auto store = OpenStoreOrThrow(g);
    auto rep = RunMover(*store);
    if (!rep.ok()) throw ExitError{1, rep.status().message()};
    if (*json) {
      PrintJson(nlohmann::json{{"moved", rep->moved},
                               {"stranded_finished", rep->stranded_finished},
                               {"remaining", rep->remaining},
                               {"primary_available", rep->primary_available},
                               {"errors", rep->errors}});
    } else {
      std::printf("moved %d segments to the primary; %d remain in the spool%s\n", rep->moved,
                  rep->remaining, rep->primary_available ? "" : " (primary unavailable)");
      for (const auto& e : rep->errors) std::fprintf(stderr, "trove: error: %s\n", e.c_str());
    }
    if (!rep->errors.empty()) throw ExitError{1, ""};
  });
}

}  // namespace trove::cli
