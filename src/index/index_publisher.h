#pragma once
// IndexPublisher: publishes the indexes of published segments off the
// writer thread, so that encoding, writing and fsyncing NAME.idx, storing
// the catalogue summary, and rebuilding an index from the file (after a
// failover published only a prefix) never stall capture.
//
// One worker thread, at a lower CPU priority (nice +10, like the deriver
// and the expiry worker) and I/O priority (best-effort 7), with its own
// catalogue connection, publishes the submitted segments in submission
// order. Submit() only queues (a short lock, no I/O, no allocation beyond
// the queue node): it never waits for the worker. Memory is bounded: at most
// max_pending_builders builders holding max_pending_builder_bytes wait in
// the queue; a segment submitted beyond that is queued without its builder
// and the worker rebuilds its index from the file (rebuilt_from_file counts
// it). A segment expired
// (budget, retention) before its turn is skipped.
//
// While a segment's index is not yet written, `trove query` scans that
// segment (no NAME.idx: plan "no index"; no summary: not pruned), so results
// stay exact; if the process dies first, `trove fsck` rebuilds the missing
// index. Failures never stop capture: they are logged and counted.
//
// Threads: Submit() from one thread (the writer's); Finish(), Drain() and
// the destructor from the owner's; counters() from any thread.
// Finish() publishes everything queued, then joins (the destructor calls it).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "catalog/catalog.h"
#include "index/index_builder.h"
#include "util/fs.h"

namespace trove {

struct IndexingCounters {
  uint64_t indexes_written = 0;
  uint64_t rebuilt_from_file = 0;
  uint64_t errors = 0;
  uint64_t skipped_expired = 0;  // expired before the worker reached them
  uint64_t index_bytes = 0;      // bytes of .idx files written
  uint64_t segment_bytes = 0;    // bytes of the segments they index
  uint64_t max_queued = 0;       // most segments waiting at once
};

struct IndexPublisherOptions {
  // Builders (the published segments' in-memory indexes) waiting in the
  // queue at most, by count and by heap bytes (SegmentIndexBuilder::
  // MemoryBytes); a segment past either is rebuilt from its file by the
  // worker, which loses the packets a `drop` cutoff did not store from its
  // flow records' sizes (their rows say "segment", docs/CLI.md). The bytes
  // bound keeps many small segments (each a few KB of builder) whole, and a
  // few large ones (a 512 MB segment's builder is tens of MB) bounded.
  size_t max_pending_builders = 1024;
  uint64_t max_pending_builder_bytes = 256ull << 20;
  int nice = 10;  // the worker's CPU priority; 0 = inherited
  bool lower_io_priority = true;  // best-effort 7 (process_priority.h)
};

class IndexPublisher {
 public:
  // `catalog` is the worker's own connection (one Catalog per thread).
  IndexPublisher(Fs& fs, std::unique_ptr<Catalog> catalog, IndexPublisherOptions o = {});
  ~IndexPublisher();
  IndexPublisher(const IndexPublisher&) = delete;
  IndexPublisher& operator=(const IndexPublisher&) = delete;

  // Queues the index of the published raw segment `rec`. `builder` is what
  // was indexed while it was written; null, or one that does not cover
  // the published file exactly: the worker rebuilds it from the file.
  void Submit(const SegmentRecord& rec, std::unique_ptr<SegmentIndexBuilder> builder);
  // Waits until everything submitted so far is published (or failed).
  void Drain();
  // Publishes everything queued, then stops the worker. Idempotent.
  void Finish();
  IndexingCounters counters() const;

 private:
  struct Job {
    SegmentRecord rec;
    std::unique_ptr<SegmentIndexBuilder> builder;
    uint64_t builder_bytes = 0;  // its MemoryBytes() when queued
  };
  void Work();
  void Publish(Job& job);

  Fs& fs_;
  std::unique_ptr<Catalog> catalog_;  // used by the worker only
  IndexPublisherOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work queued, or done_
  std::condition_variable idle_cv_;  // a job finished
  std::deque<Job> queue_;            // guarded by mu_
  size_t builders_queued_ = 0;       // guarded by mu_
  uint64_t builder_bytes_queued_ = 0;  // guarded by mu_
  uint64_t submitted_ = 0, finished_ = 0;  // guarded by mu_
  bool done_ = false;                // guarded by mu_
  IndexingCounters counters_;        // guarded by mu_
  std::thread worker_;
};

// Writes the index of a published segment and its catalogue summary.
// Returns the number of index bytes written. Blocks on I/O (fsync).
Result<uint64_t> PublishSegmentIndex(Fs& fs, Catalog& catalog, const SegmentRecord& rec,
                                     const SegmentIndex& ix);

}  // namespace trove
