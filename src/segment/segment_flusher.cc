#include "segment/segment_flusher.h"

#include "util/thread_name.h"

namespace trove {

SegmentFlusher::~SegmentFlusher() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    queue_.clear();
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> l(hash_mu_);
    hash_stop_ = true;
  }
  hash_cv_.notify_all();
  if (hash_thread_.joinable()) hash_thread_.join();
}

void SegmentFlusher::Hash(Sha256* sha, const uint8_t* data, size_t len) {
  if (!hash_thread_.joinable()) hash_thread_ = std::thread([this] { HashLoop(); });
  {
    std::lock_guard<std::mutex> l(hash_mu_);
    hash_sha_ = sha;
    hash_data_ = data;
    hash_len_ = len;
  }
  hash_cv_.notify_all();
}

void SegmentFlusher::HashDone() {
  std::unique_lock<std::mutex> l(hash_mu_);
  hash_cv_.wait(l, [this] { return hash_sha_ == nullptr; });
}

void SegmentFlusher::HashLoop() {
  SetThreadName("trove-hash");
  std::unique_lock<std::mutex> l(hash_mu_);
  for (;;) {
    hash_cv_.wait(l, [this] { return hash_stop_ || hash_sha_ != nullptr; });
    if (hash_sha_ == nullptr) return;  // stopping, idle
    Sha256* sha = hash_sha_;
    l.unlock();
    sha->Update(hash_data_, hash_len_);
    l.lock();
    hash_sha_ = nullptr;
    hash_cv_.notify_all();
  }
}

void SegmentFlusher::Submit(const Job& job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(job);
  }
  ++pending_;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  work_cv_.notify_one();
}

bool SegmentFlusher::Poll(Ack* out) {
  if (pending_ == 0) return false;
  std::lock_guard<std::mutex> l(mu_);
  if (done_.empty()) return false;
  *out = std::move(done_.front());
  done_.pop_front();
  --pending_;
  return true;
}

SegmentFlusher::Ack SegmentFlusher::Wait() {
  std::unique_lock<std::mutex> l(mu_);
  done_cv_.wait(l, [this] { return !done_.empty(); });
  Ack a = std::move(done_.front());
  done_.pop_front();
  --pending_;
  return a;
}

void SegmentFlusher::ClearError() {
  std::lock_guard<std::mutex> l(mu_);
  failed_ = Status::Ok();
}

SegmentFlusher::Ack SegmentFlusher::Run(const Job& job) {
  Ack a;
  a.len = job.len;
  a.sync = job.sync;
  a.ran = true;
  if (job.len > 0) {
    const bool parallel = job.sha && job.len >= kInlineHash;
    if (parallel) {
      rollback_.CopyStateFrom(*job.sha);
      Hash(job.sha, job.data, job.len);
    }
    a.status = job.file->Append(job.data, job.len);
    if (parallel) HashDone();
    if (!a.status.ok()) {
      if (parallel) job.sha->CopyStateFrom(rollback_);  // never bytes that were not written
      return a;
    }
    if (job.sha && !parallel) job.sha->Update(job.data, job.len);
    job.file->StartWriteback();
  }
  if (job.sync)
    a.status = job.file->Sync();
  else if (job.flush)
    a.status = job.file->Flush();
  return a;
}

void SegmentFlusher::Loop() {
  SetThreadName("trove-flush");
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    work_cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    const Job job = queue_.front();
    queue_.pop_front();
    Ack a;
    if (!failed_.ok()) {
      a.len = job.len;
      a.sync = job.sync;
      a.status = failed_;
    } else {
      l.unlock();
      a = Run(job);
      l.lock();
      if (!a.status.ok()) failed_ = a.status;
    }
    done_.push_back(std::move(a));
    done_cv_.notify_one();
  }
}

}  // namespace trove
