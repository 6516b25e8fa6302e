#pragma once
// Progress: a one-line terminal progress meter on stderr (a bar and percent
// when the total is known, bytes and packets done, byte and packet rate,
// ETA), redrawn at most 4 times a second. It is silent unless stderr is a
// terminal, so piped and logged runs stay clean. Not thread-safe: call from
// one thread.

#include <cstdint>
#include <string>

namespace trove {

class Progress {
 public:
  // total = 0 means unknown (no ETA). enabled defaults to isatty(stderr).
  Progress(std::string label, uint64_t total_bytes);
  Progress(std::string label, uint64_t total_bytes, bool enabled);
  ~Progress();

  // For a total learnt after construction (0 = unknown).
  void SetTotal(uint64_t total_bytes) { total_ = total_bytes; }
  void Update(uint64_t done_bytes, uint64_t packets);
  void Finish();  // clears the line
  bool enabled() const { return enabled_; }

 private:
  void Draw();
  std::string label_;
  uint64_t total_;
  bool enabled_;
  uint64_t done_ = 0, packets_ = 0;
  int64_t start_ns_, last_draw_ns_ = 0;
  bool drawn_ = false;
};

}  // namespace trove
