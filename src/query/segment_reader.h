#pragma once
// SegmentReader: random access to the packets of one stored segment by EPB
// offset (what the index records), over a read-only memory map. Open()
// learns the section byte order and the interface (link type, timestamp
// resolution) from the header blocks; PacketAt() is bounds-checked and
// fails with the file and offset when the offset is not a packet block.
// AllPacketOffsets() lists every packet for segments without an index.
// With a rate limiter set, PacketAt charges each block it returns and
// AllPacketOffsets the whole file (as it walks, in 1 MiB steps; later
// PacketAt calls are then free: the file has been read).
// Not thread-safe; cheap to open one per segment per query.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "segment/pcapng_format.h"
#include "util/fs.h"
#include "util/rate_limiter.h"
#include "util/status.h"

namespace trove {

class SegmentReader {
 public:
  static Result<std::unique_ptr<SegmentReader>> Open(const std::string& path);

  uint16_t linktype() const { return linktype_; }
  // `next`: the offset the caller reads after this one (0: unknown); with
  // sparse reads, a next block within 32 KiB is read in the same pread.
  Result<PcapngPacket> PacketAt(uint64_t offset, uint64_t next = 0) const;
  Result<std::vector<uint64_t>> AllPacketOffsets() const;
  const std::string& path() const { return path_; }
  void set_read_limit(RateLimiter* r) { limit_ = r; }
  // The caller will read scattered packets (an index plan), not the whole
  // file: PacketAt then reads with pread(2) through a small window instead
  // of faulting the map in (cheaper for sparse blocks, no unmapping cost).
  // A packet's data stays valid until the next PacketAt.
  Status UseSparseReads();
  // With sparse reads: the blocks at these offsets (ascending) will be
  // read. The first read that finds its bytes outside the page cache
  // (preadv2 RWF_NOWAIT) asks the kernel to read every run of nearby blocks
  // from there on in the background (POSIX_FADV_WILLNEED), so a query on a
  // cold archive waits for the disk about once per segment rather than once
  // per packet, and a warm segment costs no advice calls at all. No effect
  // on what is read.
  void Prefetch(const std::vector<uint64_t>& offsets) const;
  // POSIX_FADV_WILLNEED calls made so far (0 while every read hit the cache).
  uint64_t advice_calls() const { return advice_calls_; }

 private:
  SegmentReader() = default;
  uint32_t U32(const uint8_t* p) const;
  // The packet block at `off`, given its bytes from `off` on (`avail` of them).
  Result<PcapngPacket> ParseBlock(uint64_t off, const uint8_t* p, uint64_t avail) const;
  Result<PcapngPacket> ReadSparse(uint64_t off, uint64_t next) const;
  // Reads [start, start + len) into window_ (resized to len); returns the
  // bytes read (fewer at the end of the file).
  Result<uint64_t> ReadInto(uint64_t start, uint64_t len) const;
  // Advises the prefetch runs that end after `off`, once.
  void AdviseFrom(uint64_t off) const;

  std::string path_;
  std::unique_ptr<MappedFile> map_;
  bool swap_ = false;
  uint16_t linktype_ = 0;
  struct Clock {
    uint8_t tsresol;
    int64_t tsoffset_s;
  };
  std::vector<Clock> ifaces_;  // by interface id (a segment's IDBs share one link type)
  RateLimiter* limit_ = nullptr;
  mutable bool whole_file_charged_ = false;
  int fd_ = -1;  // sparse reads
  mutable std::vector<uint8_t> window_;
  mutable uint64_t window_off_ = 0, window_len_ = 0;
  // Prefetch runs [from, to), not yet advised; advised_ once they are (or
  // when the file system cannot tell what is cached).
  mutable std::vector<std::pair<uint64_t, uint64_t>> runs_;
  mutable bool advised_ = true;
  mutable uint64_t advice_calls_ = 0;

 public:
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;
};

}  // namespace trove
