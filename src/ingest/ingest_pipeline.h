#pragma once
// IngestPipeline: the data path from a packet source to segments.
//
//   capture thread: source.Read() → cut to snaplen → PacketRing (the
//                   "talker": moves bytes, nothing else; never touches disk)
//   writer thread:  ring → Decode() once → [CutoffStage: class, cutoff:
//                   shorten or drop] → ClassStreams::Append() (the class's
//                   SegmentWriter)
//
// Trace files and live interfaces go through the same path. For files the
// capture thread waits when the ring is full (files cannot overflow); for
// live capture a full ring drops the packet and counts it, and pcap_stats
// drops are sampled, so every segment reports the drops of its interval.
//
// One pipeline runs one link; Run*() are called from the writer thread,
// which also owns the ClassStreams.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/live_source.h"
#include "flow/control_server.h"
#include "flow/cutoff_stage.h"
#include "ingest/class_streams.h"
#include "util/progress.h"
#include "util/status.h"

namespace trove {

struct IngestOptions {
  uint32_t snaplen = 0;        // 0 = keep what the source captured
  double replay_speed = 0;     // files: 0 = as fast as possible, X = X times real time
  size_t ring_bytes = 64u << 20;
  int64_t duration_ns = 0;     // live: stop after this long (0 = until stopped)
};

struct IngestFileResult {
  std::string path;
  uint64_t packets = 0;        // packets read from the file
  uint64_t bytes = 0;          // captured bytes read
  Status error;                // why reading stopped early, if it did
};

struct IngestResult {
  std::vector<IngestFileResult> files;
  uint64_t packets_read = 0;
  uint64_t ring_drops = 0;
  uint64_t kernel_received = 0;
  uint64_t kernel_drops = 0;
  // Ring fill, sampled by the writer every 1024 packets it takes: the
  // highest sample and the 50th/99th percentiles (in 1/64ths of the ring,
  // rounded up), in bytes of ring_bytes.
  uint64_t ring_bytes = 0;
  uint64_t ring_fill_max = 0;
  uint64_t ring_fill_p50 = 0;
  uint64_t ring_fill_p99 = 0;
  WriterCounters writer;
  std::vector<int64_t> segment_ids;
  uint64_t files_deferred = 0; // files opened late: more than max_open_files overlapped
  Status fatal;                // the pipeline itself failed (not a file error)
  bool interrupted = false;
};

class IngestPipeline {
 public:
  // `link` names the link in live statistics (`trove ctl stats`).
  IngestPipeline(IngestOptions opts, ClassStreams& writer, std::string link = "");
  // Optional (null: every packet is stored as captured). Owned by the
  // caller; used by the writer thread only.
  void SetCutoffStage(CutoffStage* stage) { stage_ = stage; }
  // Optional runtime control (flow/control_command.h); the writer thread
  // runs its commands between packets. Without a stage only `stats` works.
  void SetControl(ControlServer* control) { control_ = control; }
  // Optional: called on the writer thread after control commands ran
  // (e.g. to hand a changed budget to the expiry thread).
  void SetAfterControl(std::function<void()> f) { after_control_ = std::move(f); }
  // Files: how many may be open at once (>= 1).
  void SetMaxOpenFiles(size_t n) { max_open_files_ = n; }

  // Imports the files as one stream merged by timestamp (MergedSource:
  // mergecap's order, ties by the order of `paths`), keeping their
  // timestamps, so the order of `paths` does not change what is stored.
  // A file that cannot be read (fully) is reported in its IngestFileResult
  // (results in the order of `paths`); its readable prefix is stored and the
  // others go on. At most max_open_files are open at once (see
  // capture/merged_source.h for what happens when more overlap in time).
  IngestResult RunFiles(const std::vector<std::string>& paths, const std::atomic<bool>& stop,
                        Progress* progress);
  // Captures until `stop` is set or duration_ns has passed. Then drains:
  // the packets the kernel captured up to that moment (held in a partly
  // filled block for up to the source's poll interval) are stored too;
  // later ones are not. The drain ends when the source is idle 1.5 poll
  // intervals after the stop, at most 3 intervals after it.
  IngestResult RunLive(LiveSource& source, const std::atomic<bool>& stop);

 private:
  struct Shared;
  template <class Producer>
  IngestResult Run(Producer&& produce, const std::atomic<bool>& stop, Progress* progress,
                   uint64_t total_bytes);

  IngestOptions opts_;
  ClassStreams& writer_;
  std::function<void()> after_control_;
  CutoffStage* stage_ = nullptr;
  ControlServer* control_ = nullptr;
  std::string link_;
  size_t max_open_files_ = 64;
};

}  // namespace trove
