#pragma once
// SegmentFlusher: the I/O thread of one SegmentWriter. The writer thread
// submits jobs — "append these bytes to this file, add them to this
// SHA-256, start their writeback, and (checkpoint jobs) fdatasync" — and
// the flusher thread runs them in submission order, so decoding,
// classifying and indexing on the writer thread overlap with write(2),
// hashing and fsync.
//
// Contract:
//  - Jobs run one at a time, in submission order; their acks are collected
//    (Poll, Wait) in the same order. A job's bytes must stay valid and
//    unmodified, and its file and hash alive, until its ack is collected.
//    The flusher touches nothing else: publishing (rename, catalogue,
//    bookkeeping) stays with the writer thread.
//  - The first job that fails (write or fsync error) stops the flusher's
//    work: every later job is acked with the same error without being run
//    (`ran` false), so nothing is appended past a failed write, until
//    ClearError() (the writer calls it after it collected every ack and
//    failed over).
//  - A job's bytes are hashed on a second thread while they are written
//    (a direct write blocks on the device: the hash costs no wall time);
//    a failed job may have left a short write in the file, but its hash is
//    rolled back to what it was before the job, so it never holds bytes
//    that were not written. Jobs under kInlineHash bytes are hashed after
//    the write, on the flusher thread.
//  - Memory is the caller's: the flusher holds no buffer. The writer bounds
//    what is in flight (SegmentWriterOptions::flush_buffers).
// Submit/Poll/Wait/ClearError are called by one thread (the owner). The
// thread starts with the first job and is joined by the destructor, which
// first finishes the job being run and drops the queued ones.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "util/fs.h"
#include "util/sha256.h"
#include "util/status.h"

namespace trove {

class SegmentFlusher {
 public:
  struct Job {
    WritableFile* file = nullptr;
    Sha256* sha = nullptr;  // may be null: not hashed
    const uint8_t* data = nullptr;
    size_t len = 0;
    bool sync = false;   // fdatasync after the append: a checkpoint
    bool flush = false;  // WritableFile::Flush after the append: readers see it all
  };
  struct Ack {
    size_t len = 0;
    bool sync = false;
    bool ran = false;  // false: skipped after an earlier failure
    Status status;     // ok: appended, hashed, written back (and synced)
  };

  SegmentFlusher() = default;
  ~SegmentFlusher();
  SegmentFlusher(const SegmentFlusher&) = delete;
  SegmentFlusher& operator=(const SegmentFlusher&) = delete;

  void Submit(const Job& job);
  // The oldest uncollected ack, if its job is done.
  bool Poll(Ack* out);
  // The oldest uncollected ack, waiting for it. Requires pending() > 0.
  Ack Wait();
  // Jobs submitted and not collected.
  size_t pending() const { return pending_; }
  // Lets jobs run again after a failure; requires pending() == 0.
  void ClearError();

 private:
  void Loop();
  Ack Run(const Job& job);
  // The hash thread: Hash() starts hashing (sha, data, len) there,
  // HashDone() waits for it.
  void Hash(Sha256* sha, const uint8_t* data, size_t len);
  void HashDone();
  void HashLoop();

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Job> queue_;  // submitted, not started
  std::deque<Ack> done_;   // finished, not collected
  Status failed_;          // first failure; later jobs are skipped
  bool stop_ = false;
  size_t pending_ = 0;  // owner thread only
  std::thread thread_;

  static constexpr size_t kInlineHash = 64 * 1024;
  Sha256 rollback_;  // flusher thread only: a job's hash state before it ran
  std::mutex hash_mu_;
  std::condition_variable hash_cv_;
  Sha256* hash_sha_ = nullptr;  // guarded by hash_mu_: the work, null when idle
  const uint8_t* hash_data_ = nullptr;
  size_t hash_len_ = 0;
  bool hash_stop_ = false;
  std::thread hash_thread_;  // started with the first large job
};

}  // namespace trove
