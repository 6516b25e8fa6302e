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
    a.status = job.file->Append(job.data, job.len);
    if (!a.status.ok()) return a;
    if (job.sha) job.sha->Update(job.data, job.len);
    job.file->StartWriteback();
  }
  if (job.sync) a.status = job.file->Sync();
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
