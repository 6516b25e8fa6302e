#pragma once
// IndexView: random access to a version-3 or -4 index file (docs/FORMAT.md,
// "Segment index files") without decoding it whole. Opening reads the
// header and the directory (verified by the header checksum: counts,
// section bounds and one checksum per 4 KiB chunk of the rest); every
// other read verifies the chunks it touches the first time, then decodes
// only what was asked: one record, one address's or port's posting list,
// the time map. So a query costs O(candidates) per segment, not O(records).
//
// Every read is bounds-checked and returns Corruption naming the file and
// the byte offset when the bytes are damaged; nothing reads outside the
// span. The caller keeps the bytes alive (pass their owner). Not
// thread-safe (the verified-chunk set is mutable): one view per thread.
//
// A view can also stand for an index already in memory (Of: built by the
// writer, or an older file decoded whole); it then answers from the
// SegmentIndex, and has_postings() says whether its postings were kept.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "index/segment_index.h"
#include "util/status.h"

namespace trove {

class IndexView {
 public:
  // data/len: the whole file, header included.
  static Result<std::unique_ptr<IndexView>> Open(std::shared_ptr<const void> owner,
                                                 const uint8_t* data, size_t len, std::string path);

  // Over a decoded or built index (not copied: it must outlive the view).
  static std::unique_ptr<IndexView> Of(const SegmentIndex* ix);
  // file_bytes: the size of the file it was decoded from (bytes_read()).
  static std::unique_ptr<IndexView> Of(std::shared_ptr<const SegmentIndex> ix,
                                       uint64_t file_bytes = 0);

  // The index's header fields (for a file: a SegmentIndex without records,
  // postings and time map).
  const SegmentIndex& meta() const { return mem_ ? *mem_ : meta_; }
  // The file's format version (3 or 4); 0 for Of().
  uint32_t version() const { return version_; }
  // False for an older file decoded without postings: the posting lookups
  // then fail with FailedPrecondition, and callers judge every record.
  bool has_postings() const { return has_postings_; }
  uint32_t record_count() const { return nrecords_; }
  uint32_t address_count() const { return naddrs_; }
  uint32_t port_count() const { return nports_; }

  // Record i, its offsets deferred (ConnRecord::offsets_at/offsets_bytes).
  Result<ConnRecord> Record(uint32_t i);
  // A record's packet offsets, checked (ascending, inside the segment).
  Result<std::vector<uint64_t>> Offsets(const ConnRecord& r);

  // Posting lists (ascending record ids); empty when absent.
  Result<std::vector<uint32_t>> AddressIds(uint8_t ip_version, const uint8_t addr[16]);
  // The union of the postings of every address in [lo, hi] (same version).
  Result<std::vector<uint32_t>> AddressRangeIds(uint8_t ip_version, const uint8_t lo[16],
                                                const uint8_t hi[16]);
  Result<std::vector<uint32_t>> PortIds(uint16_t port);
  // The records flagged kUncertain or kNonIp: candidates for any predicate.
  Result<std::vector<uint32_t>> Special();
  Result<std::vector<TimeBlock>> TimeMap();

  // Directory entry k (for the full decoder): the address or port and its
  // posting list.
  Result<AddressPosting> AddressAt(uint32_t k);
  Result<PortPosting> PortAt(uint32_t k);
  // File byte ranges [first, second) a query reads at random: the address
  // and port directories and the time map (to prefetch on a cold cache).
  std::vector<std::pair<uint64_t, uint64_t>> LookupRanges() const;
  // Verifies every chunk (the full decoder's checksum check).
  Status VerifyAll();
  // Bytes of the file read so far: the header, the directory and every
  // chunk verified (for a decoded older file: the whole file). What a
  // query charges its read-rate limit for the index.
  uint64_t bytes_read() const;
  // false: reads skip the chunk checksums (a full decode told not to check).
  void set_verify(bool v) { verify_ = v; }

 private:
  IndexView() = default;
  // Verifies the chunks overlapping body bytes [from, to).
  Status Verify(uint64_t from, uint64_t to);
  Status Corrupt(uint64_t body_off, const std::string& what) const;
  Result<std::vector<uint32_t>> PostingAt(uint64_t rel, const char* what);
  Result<uint64_t> RecordStart(uint32_t i);
  // Entry k of a fixed-size section, verified.
  Result<const uint8_t*> Entry(int section, uint64_t size, uint32_t k);
  // First directory entry >= (ip_version, addr).
  Result<uint32_t> AddressLowerBound(uint8_t ip_version, const uint8_t addr[16]);

  const SegmentIndex* mem_ = nullptr;  // Of(): answers come from here
  std::vector<uint32_t> mem_special_;
  bool has_postings_ = true;
  uint64_t file_bytes_ = 0;  // Of(): the decoded file's size, if any
  bool verify_ = true;
  std::shared_ptr<const void> owner_;
  const uint8_t* body_ = nullptr;  // file bytes after the 32-byte header
  uint64_t body_len_ = 0;
  std::string path_;
  uint32_t version_ = 0;
  SegmentIndex meta_;
  uint32_t nrecords_ = 0, naddrs_ = 0, nports_ = 0, nblocks_ = 0;
  // Section starts, body-relative: [0] record directory, [1] records,
  // [2] address directory, [3] port directory, [4] postings, [5] special
  // list, [6] time map, [7] end of body.
  uint64_t sec_[8] = {};
  uint64_t dir_len_ = 0;  // bytes of the directory (chunks start here)
  uint32_t chunk_bytes_ = 0;
  const uint8_t* sums_ = nullptr;  // one 8-byte checksum per chunk
  std::vector<uint8_t> verified_;  // per chunk: 0 unchecked, 1 good
};

}  // namespace trove
