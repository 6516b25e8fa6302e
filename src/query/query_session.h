#pragma once
// QuerySession: one `trove query` as the library runs it, for the CLI now
// and the daemon's request socket next. Prepare() validates the
// expression and the options (before touching the store), lowers the
// calling thread's CPU and I/O priority so retrieval yields to capture
// (only ever lowered; the [query] settings unless the request overrides
// them), bounds the bytes read with a token bucket, finds the open
// segments for include_open, and plans (query_runner.h). Run() writes the
// matches to a CaptureOutput and, with follow, keeps delivering the
// matches of newly published segments until `stop` is set or the packet
// limit is reached.
//
// Blocks on file and catalogue I/O. One session per thread; the Store is
// borrowed (it must outlive the session) and used from that thread only.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "query/query_runner.h"
#include "store/store.h"
#include "util/process_priority.h"
#include "util/rate_limiter.h"

namespace trove {

struct QueryRequest {
  std::string expr;                  // pcap-filter; "" = every packet
  std::optional<std::string> link;
  TimeRange range;
  uint64_t limit_packets = 0;        // 0 = all
  bool include_open = false;         // also scan the segments being written
  bool follow = false;               // then stream newly published segments
  int64_t poll_interval_ns = 500'000'000;  // follow: between catalogue polls
  std::optional<uint64_t> max_read_rate;   // bytes/s, 0 = unlimited; unset: [query]
  std::optional<IoPriority> io_priority;   // unset: [query] io_priority
  int nice = -1;                           // -1: [query] nice
};

struct QuerySessionStats {
  QueryStats query;               // summed over the stored and the followed segments
  uint64_t bytes_read = 0;        // charged to the rate limit
  uint64_t max_read_rate = 0;     // 0 = unlimited
  int64_t throttled_ns = 0;
  IoPriority io_priority;
};

class QuerySession {
 public:
  // InvalidArgument for a bad expression (libpcap's message), or options
  // that cannot be combined (include_open with follow); other errors come
  // from the catalogue. Priority failures are logged, not fatal.
  static Result<std::unique_ptr<QuerySession>> Prepare(Store& store, QueryRequest req);

  const QueryPlan& plan() const { return plan_; }
  // pcap when the planned segments have one link type, else pcapng.
  CaptureFormat DefaultFormat() const;

  // Writes the matches to `out` (flushed after each followed batch). A
  // followed segment whose link type `out` cannot take is skipped with a
  // warning on stderr.
  Result<QuerySessionStats> Run(CaptureOutput& out, const std::atomic<bool>& stop);

 private:
  QuerySession(Store& store, QueryRequest req);
  Store& store_;
  QueryRequest req_;
  QueryOptions q_;
  std::unique_ptr<QueryFilter> bpf_;
  std::unique_ptr<RateLimiter> limiter_;
  IoPriority io_;
  QueryPlan plan_;
};

}  // namespace trove
