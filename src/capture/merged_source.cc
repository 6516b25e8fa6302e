#include "capture/merged_source.h"

#include <algorithm>

namespace trove {

struct MergedSource::State {
  std::unique_ptr<PacketSource> src;  // null while not open
  PacketRef head;                     // the input's next packet while it is open
  uint64_t total = 0;                 // BytesTotal() when first opened
};

namespace {
// std::push_heap/pop_heap keep the largest on top: ordering by "later"
// puts the smallest (ts, input) there.
struct Later {
  template <class E>
  bool operator()(const E& a, const E& b) const {
    return a.ts != b.ts ? a.ts > b.ts : a.input > b.input;
  }
};
}  // namespace

MergedSource::MergedSource(std::vector<std::string> names, Opener open, size_t max_open)
    : opener_(std::move(open)), max_open_(std::max<size_t>(1, max_open)) {
  const bool keep_open = names.size() <= max_open_;
  inputs_.resize(names.size());
  states_.resize(names.size());
  heap_.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    inputs_[i].name = std::move(names[i]);
    states_[i] = std::make_unique<State>();
    if (i) name_ += " ";
    name_ += inputs_[i].name;
  }
  // One handle at a time when there are more inputs than handles: each is
  // opened for its first timestamp and closed again.
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (!OpenInput(i)) continue;
    Push(i, states_[i]->head.ts_ns);
    if (!keep_open) Close(i, /*done=*/false);
  }
}

MergedSource::~MergedSource() = default;

void MergedSource::Push(size_t i, int64_t ts) {
  heap_.push_back({ts, i});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

bool MergedSource::OpenInput(size_t i) {
  State& s = *states_[i];
  auto r = opener_(inputs_[i].name);
  if (!r.ok()) {
    inputs_[i].error = r.status();
    inputs_[i].done = true;
    return false;
  }
  s.src = std::move(*r);
  if (s.total == 0) {
    s.total = s.src->BytesTotal();
    total_ += s.total;
  }
  if (linktype_ == 0) linktype_ = s.src->linktype();
  max_open_seen_ = std::max(max_open_seen_, ++open_count_);
  if (Advance(i)) return true;
  Close(i, /*done=*/true);
  return false;
}

bool MergedSource::Advance(size_t i) {
  State& s = *states_[i];
  for (;;) {
    switch (s.src->Read(&s.head)) {
      case ReadResult::kPacket: return true;
      case ReadResult::kIdle: continue;
      case ReadResult::kEnd: return false;
      case ReadResult::kError: inputs_[i].error = s.src->error(); return false;
    }
  }
}

void MergedSource::Close(size_t i, bool done) {
  State& s = *states_[i];
  s.src.reset();
  --open_count_;
  if (done) {
    inputs_[i].done = true;
    consumed_done_ += s.total;
  }
}

void MergedSource::Finish(size_t i) {
  Close(i, /*done=*/true);
  while (waiting_head_ < waiting_.size() && open_count_ < max_open_) {
    const size_t j = waiting_[waiting_head_++];
    if (OpenInput(j)) Push(j, states_[j]->head.ts_ns);
  }
}

uint64_t MergedSource::BytesConsumed() const {
  uint64_t n = consumed_done_;
  for (const auto& e : heap_)
    if (states_[e.input]->src) n += states_[e.input]->src->BytesConsumed();
  if (last_ != SIZE_MAX && states_[last_]->src) n += states_[last_]->src->BytesConsumed();
  return n;
}

PacketSource::ReadResult MergedSource::Read(PacketRef* out) {
  if (last_ != SIZE_MAX) {  // the consumer is done with the previous packet
    const size_t i = last_;
    State& s = *states_[i];
    if (Advance(i)) {
      // Still the earliest (one input, or a run of packets of one file):
      // hand it on without going through the heap.
      if (heap_.empty() || Later{}(heap_.front(), HeapEntry{s.head.ts_ns, i})) {
        *out = s.head;
        ++inputs_[i].packets;
        return ReadResult::kPacket;
      }
      Push(i, s.head.ts_ns);
    } else {
      Finish(i);
    }
    last_ = SIZE_MAX;
  }
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const HeapEntry e = heap_.back();
    heap_.pop_back();
    State& s = *states_[e.input];
    if (!s.src) {  // due, not open
      if (open_count_ >= max_open_) {
        waiting_.push_back(e.input);
        ++deferred_;
      } else if (OpenInput(e.input)) {
        Push(e.input, s.head.ts_ns);
      }
      continue;
    }
    *out = s.head;
    last_ = e.input;
    ++inputs_[e.input].packets;
    return ReadResult::kPacket;
  }
  return ReadResult::kEnd;
}

}  // namespace trove
