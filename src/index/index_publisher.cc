#include "index/index_publisher.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "index/index_file.h"
#include "index/segment_summary.h"
#include "util/log.h"
#include "util/process_priority.h"
#include "util/thread_name.h"

namespace trove {

Result<uint64_t> PublishSegmentIndex(Fs& fs, Catalog& catalog, const SegmentRecord& rec,
                                     const SegmentIndex& ix) {
  uint64_t bytes = 0;
  TROVE_RETURN_IF_ERROR(WriteIndexFile(fs, IndexPathFor(rec.path), ix, &bytes));
  const SegmentSummary sum = SummarizeIndex(ix);
  TROVE_RETURN_IF_ERROR(
      catalog.PutSegmentSummary(rec.id, sum.first_ts_ns, sum.last_ts_ns, sum.Encode()));
  return bytes;
}

IndexPublisher::IndexPublisher(Fs& fs, std::unique_ptr<Catalog> catalog, IndexPublisherOptions o)
    : fs_(fs), catalog_(std::move(catalog)), opts_(o) {
  worker_ = std::thread([this] { Work(); });
}

IndexPublisher::~IndexPublisher() { Finish(); }

void IndexPublisher::Submit(const SegmentRecord& rec,
                            std::unique_ptr<SegmentIndexBuilder> builder) {
  {
    std::lock_guard<std::mutex> l(mu_);
    const uint64_t bytes = builder ? builder->MemoryBytes() : 0;
    if (builder && (builders_queued_ >= opts_.max_pending_builders ||
                    builder_bytes_queued_ + bytes > opts_.max_pending_builder_bytes))
      builder.reset();
    if (builder) {
      ++builders_queued_;
      builder_bytes_queued_ += bytes;
    }
    queue_.push_back(Job{rec, std::move(builder), builder ? bytes : 0});
    ++submitted_;
    counters_.max_queued = std::max<uint64_t>(counters_.max_queued, queue_.size());
  }
  cv_.notify_one();
}

void IndexPublisher::Drain() {
  std::unique_lock<std::mutex> l(mu_);
  const uint64_t target = submitted_;
  idle_cv_.wait(l, [&] { return finished_ >= target || !worker_.joinable(); });
}

void IndexPublisher::Finish() {
  {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
  }
  cv_.notify_one();
  if (worker_.joinable()) worker_.join();
}

IndexingCounters IndexPublisher::counters() const {
  std::lock_guard<std::mutex> l(mu_);
  return counters_;
}

void IndexPublisher::Work() {
  SetThreadName("trove-index");
  // Below the capture and writer threads (Linux: per-thread nice value and
  // I/O priority).
  if (opts_.nice > 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), opts_.nice);
  if (opts_.lower_io_priority)
    (void)LowerIoPriority(IoPriority{IoPriority::Class::kBestEffort, 7});
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;  // done_ and drained
      job = std::move(queue_.front());
      queue_.pop_front();
      if (job.builder) {
        --builders_queued_;
        builder_bytes_queued_ -= job.builder_bytes;
      }
    }
    Publish(job);
    {
      std::lock_guard<std::mutex> l(mu_);
      ++finished_;
    }
    idle_cv_.notify_all();
  }
}

void IndexPublisher::Publish(Job& job) {
  const SegmentRecord& rec = job.rec;
  // Expired (budget, retention) since it was published: its file may be
  // gone, and an index would be an orphan.
  if (auto cur = catalog_->GetSegment(std::to_string(rec.id));
      cur.ok() && cur->state != SegmentState::kStored) {
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.skipped_expired;
    return;
  }
  const SegmentIndexBuilder* b = job.builder.get();
  Result<SegmentIndex> ix = Status::NotFound("");
  bool rebuilt = false;
  if (b && b->end_offset() <= rec.file_bytes && b->packets() == rec.stats.packets) {
    ix = b->Snapshot(rec.file_bytes);
  } else {
    ix = BuildIndexFromSegment(rec.path, rec.name);
    rebuilt = true;
  }
  job.builder.reset();  // its memory is not needed any more
  Result<uint64_t> n = ix.ok() ? PublishSegmentIndex(fs_, *catalog_, rec, *ix) : ix.status();
  std::lock_guard<std::mutex> l(mu_);
  if (!n.ok()) {
    ++counters_.errors;
    LogWarning("indexing segment " + rec.path + " failed: " + n.status().message() +
               "; queries scan it until `trove fsck` rebuilds the index");
    return;
  }
  ++counters_.indexes_written;
  if (rebuilt) ++counters_.rebuilt_from_file;
  counters_.index_bytes += *n;
  counters_.segment_bytes += rec.file_bytes;
}

}  // namespace trove
