#pragma once
// DerivedLevels: produces the privacy levels of the store (config [[level]],
// default scrubbed <- raw and scrambled <- scrubbed) inside the archive. It
// is a SegmentObserver: when a raw segment is published it synchronously
// derives each enabled level from its parent level's segment(s), in config
// order (parents first), on the writer's thread.
//
// One derived segment per parent segment and IP key epoch, named
// PARENT.LEVEL (PARENT.LEVEL-2, -3, ... when the parent spans several IP
// epochs), written by a SegmentWriter with no size or time rotation, so it
// takes the same durability path as the raw segment (partial -> fsync ->
// rename -> catalogue) and records trove.level / trove.key_epoch /
// trove.parent in its header and level / parent_id in the catalogue.
//
// Keys (anon/key_schedule.h): for a packet at time t, the IP key is
// DeriveKey(master, "ip", LEVEL, EpochOf(ip_epoch, t)) and the MAC key
// DeriveKey(master, "mac", LEVEL, EpochOf(mac_epoch, t)); the mapper is
// re-keyed when either epoch changes. Levels that scramble nothing carry no
// key epoch and are never split.
//
// Owners: while a scrambling level is derived, the pairs (original ->
// pseudonym) of addresses inside any [[owner]] prefix are appended to the
// encrypted reverse map of (LEVEL, IP epoch) (levels/reverse_map.h) before
// the segment holding them is published. Other addresses are never
// recorded.
//
// Idempotent: Complete() derives only what the catalogue does not already
// hold (a child at that level with that parent, per key epoch), so running
// it again after a crash (`trove fsck`) finishes an interrupted derivation
// and never duplicates one.
//
// Failures (unreadable parent, key derivation, storage) are logged and
// counted, never propagated from OnSegmentPublished: the raw segment is
// already safe, and fsck derives what is missing.
// Not thread-safe: one thread (levels/background_deriver.h runs it off
// the writer thread).

#include <memory>
#include <string>
#include <vector>

#include "anon/secret_bytes.h"
#include "catalog/catalog.h"
#include "packet/ip_prefix.h"
#include "segment/segment_writer.h"
#include "segment/storage_router.h"
#include "store/config.h"
#include "store/fsck.h"
#include "store/store.h"

namespace trove {

struct DerivedLevelsCounters {
  uint64_t segments = 0;  // derived segments published
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint64_t packets_dropped = 0;  // nothing understood (see packet_transform.h)
  uint64_t errors = 0;
};

class DerivedLevels final : public SegmentObserver, public LevelCompleter {
 public:
  // Validates the levels and owners of `config` (InvalidArgument naming the
  // level). `base` gives interface/source/checkpoint settings; link,
  // location, host, filter and snaplen are taken from each parent segment.
  static Result<std::unique_ptr<DerivedLevels>> Create(const StoreConfig& config,
                                                       SecretBytes master, std::string reverse_dir,
                                                       StorageRouter& router, Catalog& catalog,
                                                       SegmentWriterOptions base);

  // Complete(rec), errors logged and counted.
  void OnSegmentPublished(const SegmentRecord& rec) override;

  // Derives every enabled level of the raw segment `raw` that the catalogue
  // lacks; returns the records it published (empty: nothing was missing).
  // Other levels of `raw` are ignored (returns nothing).
  // With `dry_run`, derives nothing and returns a record (name, level,
  // parent_id) for each child it would derive first.
  Result<std::vector<SegmentRecord>> Complete(const SegmentRecord& raw,
                                              bool dry_run = false) override;

  // Derives one level from one parent segment; returns the new records.
  // Key epochs in `skip_epochs` already have their child: not written again.
  Result<std::vector<SegmentRecord>> Derive(const SegmentRecord& parent, const LevelConfig& level,
                                            const std::vector<std::string>& skip_epochs = {});

  bool empty() const { return levels_.empty(); }

  const DerivedLevelsCounters& counters() const { return counters_; }

 private:
  DerivedLevels(StorageRouter& router, Catalog& catalog) : router_(router), catalog_(catalog) {}

  // The stored children of `parent` at `level`.
  Result<std::vector<SegmentRecord>> Children(const SegmentRecord& parent,
                                              const std::string& level);

  std::vector<LevelConfig> levels_;  // enabled, parents first
  std::vector<IpPrefix> owner_prefixes_;
  SecretBytes master_;
  std::string reverse_dir_;
  StorageRouter& router_;
  Catalog& catalog_;
  SegmentWriterOptions base_;
  DerivedLevelsCounters counters_;
};

// The store's levels with its master key (STORE/keys/master.key), deriving
// through `router` and `catalog`. Null when no level is enabled, or when
// the store has no master key (a store created before privacy levels; a
// warning is logged). Errors: a bad level configuration, an unreadable key.
Result<std::unique_ptr<DerivedLevels>> OpenStoreLevels(Store& store, StorageRouter& router,
                                                       Catalog& catalog,
                                                       const SegmentWriterOptions& base);

// The factory `trove fsck` hands to RunFsck (store/fsck.h): OpenStoreLevels.
LevelCompleterFactory StoreLevelCompleter();

}  // namespace trove
