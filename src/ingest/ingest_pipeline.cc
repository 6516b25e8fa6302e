#include "ingest/ingest_pipeline.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "capture/file_source.h"
#include "capture/merged_source.h"
#include "capture/packet_ring.h"
#include "packet/decoder.h"
#include "packet/packet_flow.h"
#include "util/thread_name.h"
#include "util/time_util.h"

namespace trove {

// Counters written by the capture thread and read by the writer thread.
struct IngestPipeline::Shared {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> ring_drops{0};
  std::atomic<uint64_t> kernel_received{0};
  std::atomic<uint64_t> kernel_drops{0};
  std::atomic<uint64_t> bytes_consumed{0};
  std::atomic<uint64_t> bytes_read{0};  // captured bytes pushed or dropped at the ring
  std::atomic<bool> abort{false};       // the writer failed: producer must stop

  // Producer only: one packet of `caplen` bytes read. The capture thread is
  // the only writer of these two counters, so a plain store of the new value
  // replaces a locked read-modify-write (and its store-buffer drain) per
  // packet.
  void CountRead(uint32_t caplen) {
    packets.store(packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    bytes_read.store(bytes_read.load(std::memory_order_relaxed) + caplen,
                     std::memory_order_relaxed);
  }
};

namespace {

void Backoff(int* spins) {
  if (++*spins < 64) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(*spins < 256 ? 20 : 200));
}

}  // namespace

IngestPipeline::IngestPipeline(IngestOptions opts, ClassStreams& writer, std::string link)
    : opts_(opts), writer_(writer), link_(std::move(link)) {}

template <class Producer>
IngestResult IngestPipeline::Run(Producer&& produce, const std::atomic<bool>& stop,
                                 Progress* progress, uint64_t total_bytes) {
  IngestResult result;
  PacketRing ring(opts_.ring_bytes);
  Shared sh;
  writer_.SetDropSampler([&sh] {
    DropCounters d;
    d.kernel = sh.kernel_drops.load(std::memory_order_relaxed);
    d.ring = sh.ring_drops.load(std::memory_order_relaxed);
    return d;
  });
  std::thread capture([&] {
    SetThreadName("trove-capture");
    produce(ring, sh, result);
    ring.Close();
  });

  PacketRef p;
  DecodedPacket d;
  uint64_t n = 0;
  int spins = 0;
  // Ring fill samples (IngestResult::ring_fill_*): 64 buckets of the ring.
  constexpr size_t kFillBuckets = 64;
  uint64_t fill_hist[kFillBuckets + 1] = {};
  uint64_t fill_max = 0;
  auto sample_fill = [&] {
    const uint64_t used = ring.Used();
    fill_max = std::max(fill_max, used);
    ++fill_hist[std::min<uint64_t>(kFillBuckets, (used * kFillBuckets + ring.capacity() - 1) /
                                                     ring.capacity())];
  };
  int64_t last_tick = MonotonicNs();
  int64_t last_ts = 0;  // of the last packet done with (live_stats.h)
  auto poll_control = [&] {
    if (!control_ || !control_->pending()) return;
    IngestCounters c;
    c.link = link_;
    c.wall_ns = WallClockNs();
    c.last_packet_ns = last_ts;
    c.packets_read = sh.packets.load(std::memory_order_relaxed);
    c.bytes_read = sh.bytes_read.load(std::memory_order_relaxed);
    c.kernel_received = sh.kernel_received.load(std::memory_order_relaxed);
    c.kernel_drops = sh.kernel_drops.load(std::memory_order_relaxed);
    c.ring_drops = sh.ring_drops.load(std::memory_order_relaxed);
    const WriterCounters& w = writer_.counters();
    c.store_drops = w.store_drops;
    c.packets_stored = w.packets_stored;
    c.bytes_stored = w.bytes_stored;
    c.segments_published = w.segments_published;
    c.failovers = w.failovers;
    control_->Poll(stage_, c);
    if (after_control_) after_control_();
  };
  for (;;) {
    if (ring.Peek(&p)) {
      spins = 0;
      if ((n & 0x3ff) == 0) sample_fill();
      poll_control();
      Decode(p, &d);
      ComputeFlow(p, &d);  // the one key + hash of this packet (packet_flow.h)
      last_ts = p.ts_ns;
      if (stage_ && !stage_->Process(&p, &d)) {  // not stored (no class, or past the cutoff)
        // Past a `drop` cutoff: still part of the connection's size in the
        // flow records of the class's open segment.
        if (stage_->last_class() != kNoClass) writer_.NoteNotStored(p, d, stage_->last_class());
        ring.Pop();
        ++n;
        continue;
      }
      Status st = writer_.Append(p, d, stage_ ? stage_->last_class() : 0);
      ring.Pop();
      if (!st.ok()) {
        result.fatal = st;
        sh.abort = true;
        break;
      }
      if ((++n & 0x3fff) == 0 && progress)
        progress->Update(sh.bytes_consumed.load(std::memory_order_relaxed), n);
      continue;
    }
    if (ring.Closed()) {
      if (ring.Peek(&p)) continue;  // raced with the last push
      break;
    }
    poll_control();
    int64_t now = MonotonicNs();
    if (now - last_tick > 100'000'000) {
      last_tick = now;
      writer_.Tick(WallClockNs());
      if (progress) progress->Update(sh.bytes_consumed.load(std::memory_order_relaxed), n);
    }
    Backoff(&spins);
  }
  if (!result.fatal.ok()) {
    // Drain so the producer is never stuck on a full ring.
    while (!ring.Closed() || ring.Peek(&p)) {
      if (ring.Peek(&p))
        ring.Pop();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  capture.join();
  if (progress) progress->Finish();
  Status cs = writer_.Close();
  if (result.fatal.ok() && !cs.ok()) result.fatal = cs;
  result.packets_read = sh.packets.load();
  result.ring_drops = sh.ring_drops.load();
  result.kernel_received = sh.kernel_received.load();
  result.kernel_drops = sh.kernel_drops.load();
  result.ring_bytes = ring.capacity();
  result.ring_fill_max = fill_max;
  {
    uint64_t total = 0, seen = 0;
    for (uint64_t c : fill_hist) total += c;
    bool p50 = false;
    for (size_t b = 0; b <= kFillBuckets && total; ++b) {
      seen += fill_hist[b];
      const uint64_t bytes = ring.capacity() * b / kFillBuckets;
      if (!p50 && seen * 100 >= total * 50) result.ring_fill_p50 = bytes, p50 = true;
      if (seen * 100 >= total * 99) {
        result.ring_fill_p99 = bytes;
        break;
      }
    }
  }
  result.writer = writer_.counters();
  result.segment_ids = writer_.published_ids();
  result.interrupted = stop.load();
  (void)total_bytes;
  return result;
}

IngestResult IngestPipeline::RunFiles(const std::vector<std::string>& paths,
                                      const std::atomic<bool>& stop, Progress* progress) {
  uint64_t total = 0;
  for (const auto& path : paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  if (progress) progress->SetTotal(total);
  const uint32_t snaplen = opts_.snaplen;
  const double speed = opts_.replay_speed;
  // Packets name their interface (PacketRef::iface) owned by their file's
  // source; packets of a closed file may still be in the ring or being
  // written, so the interfaces live until the run is over.
  std::vector<std::shared_ptr<const void>> interfaces;
  auto produce = [&, snaplen, speed](PacketRing& ring, Shared& sh, IngestResult& result) {
    // All files as one stream merged by timestamp (mergecap's order), so
    // the order of the files does not change what the cutoff sees.
    MergedSource merged(
        paths,
        [&interfaces](const std::string& path) -> Result<std::unique_ptr<PacketSource>> {
          auto f = FileSource::Open(path);
          if (!f.ok()) return f.status();
          interfaces.push_back((*f)->interfaces_owner());
          return std::unique_ptr<PacketSource>(std::move(*f));
        },
        max_open_files_);
    bool anchored = false;
    int64_t anchor_ts = 0, anchor_mono = 0;
    PacketRef p;
    uint64_t n = 0;
    std::vector<uint64_t> bytes(paths.size(), 0);  // per file, after the --snaplen cut
    for (;;) {
      if (stop.load(std::memory_order_relaxed) || sh.abort.load(std::memory_order_relaxed)) break;
      if (merged.Read(&p) != PacketSource::ReadResult::kPacket) break;  // every file done
      if (snaplen && p.caplen > snaplen) p.caplen = snaplen;
      if (speed > 0) {
        if (!anchored) {
          anchored = true;
          anchor_ts = p.ts_ns;
          anchor_mono = MonotonicNs();
        }
        int64_t due =
            anchor_mono + static_cast<int64_t>(static_cast<double>(p.ts_ns - anchor_ts) / speed);
        while (!stop.load(std::memory_order_relaxed)) {
          int64_t wait = due - MonotonicNs();
          if (wait <= 0) break;
          std::this_thread::sleep_for(
              std::chrono::nanoseconds(std::min<int64_t>(wait, 50'000'000)));
        }
      }
      // A file has no deadline: when the ring is full, wait until a
      // quarter of it is free again, so the two threads hand over bursts
      // instead of bouncing the ring's indices between cores per packet.
      int spins = 0;
      while (!ring.TryPush(p)) {
        do {
          if (sh.abort.load(std::memory_order_relaxed)) break;
          Backoff(&spins);
        } while (ring.Used() > ring.capacity() / 4 * 3);
        if (sh.abort.load(std::memory_order_relaxed)) break;
      }
      sh.CountRead(p.caplen);
      bytes[merged.last_input()] += p.caplen;
      if ((++n & 0xff) == 0)  // for the progress meter; a relaxed store
        sh.bytes_consumed.store(merged.BytesConsumed(), std::memory_order_relaxed);
    }
    sh.bytes_consumed.store(merged.BytesConsumed(), std::memory_order_relaxed);
    for (size_t i = 0; i < merged.inputs().size(); ++i) {
      const MergedSource::Input& in = merged.inputs()[i];
      IngestFileResult fr;
      fr.path = in.name;
      fr.packets = in.packets;
      fr.bytes = bytes[i];
      fr.error = in.error;
      result.files.push_back(std::move(fr));
    }
    result.files_deferred = merged.deferred();
  };
  return Run(produce, stop, progress, total);
}

IngestResult IngestPipeline::RunLive(LiveSource& source, const std::atomic<bool>& stop) {
  const int64_t deadline = opts_.duration_ns > 0 ? MonotonicNs() + opts_.duration_ns : INT64_MAX;
  auto produce = [&, deadline](PacketRing& ring, Shared& sh, IngestResult& result) {
    IngestFileResult fr;
    fr.path = source.name();
    PacketRef p;
    int64_t last_stats = MonotonicNs();
    auto sample = [&] {
      KernelStats k = source.Stats();
      sh.kernel_received.store(k.received, std::memory_order_relaxed);
      sh.kernel_drops.store(k.dropped, std::memory_order_relaxed);
    };
    // The kernel hands over a partly filled block when its timer (the poll
    // interval) fires, at most one interval after the block's first packet:
    // idle for 1.5 intervals after the stop means nothing older is left.
    const int64_t poll_ns = int64_t{source.poll_ms()} * 1'000'000;
    const int64_t drained_ns = poll_ns * 3 / 2, drain_ns = 3 * poll_ns;
    int64_t stopped_mono = 0;  // when the stop was seen (0: still capturing)
    int64_t stopped_wall = 0;  // the same instant on the packets' clock
    for (;;) {
      if (sh.abort.load(std::memory_order_relaxed)) break;
      if (stopped_mono == 0 &&
          (stop.load(std::memory_order_relaxed) || MonotonicNs() >= deadline)) {
        stopped_mono = MonotonicNs();
        stopped_wall = WallClockNs();
      }
      if (stopped_mono != 0 && MonotonicNs() - stopped_mono > drain_ns) break;
      auto r = source.Read(&p);
      int64_t now = MonotonicNs();
      if (now - last_stats > 500'000'000) {
        last_stats = now;
        sample();
      }
      if (r == PacketSource::ReadResult::kIdle) {
        if (stopped_mono != 0 && now - stopped_mono >= drained_ns) break;  // drained
        continue;
      }
      if (r == PacketSource::ReadResult::kEnd) break;
      if (r == PacketSource::ReadResult::kError) {
        fr.error = source.error();
        break;
      }
      if (stopped_mono != 0 && p.ts_ns > stopped_wall) continue;  // after the stop
      sh.CountRead(p.caplen);
      ++fr.packets;
      fr.bytes += p.caplen;
      if (!ring.TryPush(p)) sh.ring_drops.fetch_add(1, std::memory_order_relaxed);
    }
    sample();
    result.files.push_back(fr);
  };
  return Run(produce, stop, nullptr, 0);
}

}  // namespace trove
