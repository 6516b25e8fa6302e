#pragma once
// MergedSource: several packet sources (the files of one import) read as
// one stream merged by timestamp, in mergecap's order: the input whose
// next packet has the smallest timestamp goes first, ties go to the input
// named first. An input whose own timestamps go backwards is merged by its
// current packet, as mergecap does, so the output equals `mergecap -w`.
// The order of the inputs therefore only decides ties.
//
// Open handles are bounded. Construction opens every input once, in turn,
// to read its first timestamp (a handle at a time) and keeps them open only
// when there are at most `max_open`. Otherwise an input is opened again
// when the merge reaches its first timestamp and closed at its end, so
// rotated files (consecutive time ranges) hold one or two handles however
// many there are. When more than `max_open` inputs overlap in time, an
// input that is due waits until one closes; its packets then come later
// than in mergecap's order (time steps back) and deferred() counts it.
//
// Errors are per input: an input that cannot be opened, or whose record at
// some offset cannot be read, ends there (its packets before it were
// delivered) with its error in inputs()[i].error; the other inputs go on.
// Read() itself never returns kError; it returns kEnd when every input is
// done. The bytes of the packet returned stay valid until the next Read()
// (the input it came from is advanced only then).
// Not thread-safe: used by one thread (the capture thread). Read() blocks
// only on the inputs' own reads; it never returns kIdle.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_source.h"

namespace trove {

class MergedSource final : public PacketSource {
 public:
  using Opener = std::function<Result<std::unique_ptr<PacketSource>>(const std::string& name)>;
  static constexpr size_t kDefaultMaxOpen = 64;

  struct Input {
    std::string name;
    uint64_t packets = 0;      // delivered by Read()
    Status error;              // why it ended early, if it did
    bool done = false;
  };

  // `names` in command-line order (their index breaks ties). `max_open` >= 1.
  MergedSource(std::vector<std::string> names, Opener open, size_t max_open = kDefaultMaxOpen);
  ~MergedSource() override;

  ReadResult Read(PacketRef* out) override;
  const Status& error() const override { return error_; }  // always ok
  KernelStats Stats() override { return {}; }
  // Sum over the inputs: finished ones count whole, open ones as far as read.
  uint64_t BytesConsumed() const override;
  uint64_t BytesTotal() const override { return total_; }
  const std::string& name() const override { return name_; }
  // The link type of the first input opened (each PacketRef has its own).
  uint16_t linktype() const override { return linktype_; }
  bool live() const override { return false; }

  // Index of the input the packet last returned came from.
  size_t last_input() const { return last_; }
  const std::vector<Input>& inputs() const { return inputs_; }
  // Inputs opened after their first timestamp was due (max_open reached).
  uint64_t deferred() const { return deferred_; }
  // The most inputs open at the same time so far.
  size_t max_open_seen() const { return max_open_seen_; }

 private:
  struct State;
  struct HeapEntry {
    int64_t ts;
    size_t input;
  };
  bool OpenInput(size_t i);  // opens and reads the head; false when it ended (then done)
  bool Advance(size_t i);    // reads the next head; false when it ended
  void Close(size_t i, bool done);
  void Finish(size_t i);     // Close(i, true), then opens waiting inputs while handles are free
  void Push(size_t i, int64_t ts);

  std::vector<Input> inputs_;
  std::vector<std::unique_ptr<State>> states_;
  std::vector<HeapEntry> heap_;    // min-heap by (ts, input)
  std::vector<size_t> waiting_;    // due inputs waiting for a handle (FIFO)
  size_t waiting_head_ = 0;
  Opener opener_;
  size_t max_open_;
  size_t open_count_ = 0, max_open_seen_ = 0;
  size_t last_ = SIZE_MAX;         // input to advance before the next pick
  uint64_t total_ = 0, consumed_done_ = 0, deferred_ = 0;
  uint16_t linktype_ = 0;
  Status error_;
  std::string name_;
};

}  // namespace trove
