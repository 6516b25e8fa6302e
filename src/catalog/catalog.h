#pragma once
// Catalog: the interface every caller uses to record and find segments.
// Backends (SQLite today, PostgreSQL later) implement it; callers never see
// SQL. Schema versions and migrations are the backend's business: Open()
// upgrades an older catalogue in one transaction or fails with a message
// that says exactly why (e.g. written by a newer trove).
//
// Thread safety: one Catalog object per thread. Several processes may open
// the same catalogue; writes are serialised by the backend.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/segment_record.h"
#include "util/status.h"

namespace trove {

struct SegmentQuery {
  std::optional<std::string> link;
  std::optional<std::string> level;            // default: any
  std::optional<std::string> klass;            // storage class; default: any
  std::optional<int64_t> since_ns;             // segments ending at/after
  std::optional<int64_t> until_ns;             // segments starting before
  std::optional<SegmentState> state;           // default: any
  std::optional<StorageArea> area;
  size_t limit = 0;                            // 0 = no limit
};

// A primary-path partial that could not be finished when the primary went
// away; the mover or fsck salvages it up to durable_bytes when it returns.
struct StrandedPartial {
  int64_t id = 0;
  std::string path;
  std::string link;
  uint64_t durable_bytes = 0;  // fsynced prefix that holds complete records
  int64_t recorded_at_ns = 0;
};

struct CatalogTotals {
  uint64_t segments = 0, packets = 0, cap_bytes = 0, wire_bytes = 0, file_bytes = 0;
  uint64_t kernel_drops = 0, ring_drops = 0, store_drops = 0;
  int64_t first_ts_ns = 0, last_ts_ns = 0;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // Current schema version of the open catalogue.
  virtual int SchemaVersion() const = 0;

  // Inserts a complete segment; sets rec->id. Fails with kAlreadyExists if
  // the name is taken.
  virtual Status InsertSegment(SegmentRecord* rec) = 0;
  // Records that a segment moved (spool -> primary) in one transaction.
  virtual Status UpdateLocation(int64_t id, StorageArea area, const std::string& path) = 0;
  virtual Status UpdateState(int64_t id, SegmentState state) = 0;
  virtual Status DeleteSegment(int64_t id) = 0;

  virtual Result<std::vector<SegmentRecord>> ListSegments(const SegmentQuery& q) = 0;
  // By numeric id or by name.
  virtual Result<SegmentRecord> GetSegment(const std::string& id_or_name) = 0;
  virtual Result<CatalogTotals> Totals(const SegmentQuery& q) = 0;

  virtual Status AddStranded(StrandedPartial* p) = 0;
  virtual Result<std::vector<StrandedPartial>> ListStranded() = 0;
  virtual Status RemoveStranded(int64_t id) = 0;

  // Small key/value facts about the store (e.g. its id, when it was
  // created). GetMeta yields nullopt for an absent key; SetMeta upserts.
  // The defaults exist only so test fakes need not implement them.
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) {
    (void)key;
    return Status::FailedPrecondition("this catalogue backend has no store metadata");
  }
  virtual Status SetMeta(const std::string& key, const std::string& value) {
    (void)key;
    (void)value;
    return Status::FailedPrecondition("this catalogue backend has no store metadata");
  }

  // Segment summaries (schema v3; index/segment_summary.h): an opaque blob
  // per segment, with its time range, that lets a query skip the segment
  // without opening it. PutSegmentSummary upserts; GetSegmentSummary yields
  // nullopt when the segment has none. Defaults as for the metadata above.
  virtual Status PutSegmentSummary(int64_t id, int64_t first_ts_ns, int64_t last_ts_ns,
                                   const std::string& blob) {
    (void)id, (void)first_ts_ns, (void)last_ts_ns, (void)blob;
    return Status::FailedPrecondition("this catalogue backend has no segment summaries");
  }
  virtual Result<std::optional<std::string>> GetSegmentSummary(int64_t id) {
    (void)id;
    return Status::FailedPrecondition("this catalogue backend has no segment summaries");
  }

  // Runs fn inside one transaction (all or nothing).
  virtual Status Transaction(const std::function<Status()>& fn) = 0;
};

// Opens (creating if `create`) the catalogue named by `url`:
//   sqlite:PATH  (relative paths are relative to the store directory)
// Later: postgresql://...
Result<std::unique_ptr<Catalog>> OpenCatalog(const std::string& url, const std::string& store_dir,
                                             bool create);

}  // namespace trove
