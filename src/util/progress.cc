#include "util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "util/time_util.h"

namespace trove {

Progress::Progress(std::string label, uint64_t total_bytes)
    : Progress(std::move(label), total_bytes, isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string label, uint64_t total_bytes, bool enabled)
    : label_(std::move(label)), total_(total_bytes), enabled_(enabled), start_ns_(MonotonicNs()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done_bytes, uint64_t packets) {
  done_ = done_bytes;
  packets_ = packets;
  if (!enabled_) return;
  int64_t now = MonotonicNs();
  if (now - last_draw_ns_ < 250'000'000) return;
  last_draw_ns_ = now;
  Draw();
}

void Progress::Draw() {
  double secs = static_cast<double>(MonotonicNs() - start_ns_) / 1e9;
  if (secs <= 0) secs = 1e-9;
  double bps = static_cast<double>(done_) / secs;
  double pps = static_cast<double>(packets_) / secs;
  char eta[32] = "--";
  if (total_ > 0 && bps > 0 && done_ <= total_) {
    double rem = static_cast<double>(total_ - done_) / bps;
    std::snprintf(eta, sizeof eta, "%dm%02ds", static_cast<int>(rem) / 60, static_cast<int>(rem) % 60);
  }
  std::string bar;
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    const int full = static_cast<int>(frac * 20);
    bar.assign(1, '[');  // appended: `"[" + std::string(...)` draws GCC 12's false -Wrestrict
    bar.append(static_cast<size_t>(full), '#').append(static_cast<size_t>(20 - full), '.');
    bar.append("] ");
    char pct[16];
    std::snprintf(pct, sizeof pct, "%5.1f%%  ", 100 * frac);
    bar += pct;
  }
  std::fprintf(stderr, "\r\033[K%s %s%s  %llu packets  %s/s  %s  ETA %s", label_.c_str(),
               bar.c_str(), FormatBytes(static_cast<double>(done_)).c_str(),
               static_cast<unsigned long long>(packets_), FormatBytes(bps).c_str(),
               FormatSi(pps, "pps").c_str(), eta);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (enabled_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace trove
