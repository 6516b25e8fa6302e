#pragma once
// Index sidecar files: NAME.idx beside NAME.pcapng. Written like segments
// (NAME.idx.partial → fsync → rename → fsync dir), so an index is either
// complete or absent. Reading verifies the header, checksum and every bound
// (index_codec.h). BuildIndexFromSegment recomputes an index from the
// segment file alone with the same builder the writer uses (fsck, salvaged
// or adopted segments, segments whose index was lost).

#include <string>

#include "index/index_codec.h"
#include "index/index_view.h"
#include "index/segment_index.h"
#include "util/fs.h"
#include "util/status.h"

namespace trove {

// "/a/b/NAME.pcapng" -> "/a/b/NAME.idx" (any other name: + ".idx").
std::string IndexPathFor(const std::string& segment_path);

Status WriteIndexFile(Fs& fs, const std::string& path, const SegmentIndex& ix,
                      uint64_t* bytes_written = nullptr);
// With opts.defer_offsets the file's memory map stays alive in the result
// (SegmentIndex::deferred); opts.owner is set here.
Result<SegmentIndex> ReadIndexFile(const std::string& path, const IndexDecodeOptions& opts = {});
// For readers that pick records (queries): a version-3 or -4 file as a view over
// its memory map, checked as IndexView::Open checks it; an older version
// decoded with deferred offsets and without postings, behind the same
// interface (has_postings() false).
Result<std::unique_ptr<IndexView>> OpenIndexView(const std::string& path);
// A segment moved (spool -> primary): its index follows it, written
// durably beside the new path; Move also removes the old one. Best effort:
// an index that cannot be read or written is dropped (queries scan the
// segment; fsck rebuilds it).
void CopyIndexSidecar(Fs& fs, const std::string& from_segment_path,
                      const std::string& to_segment_path);
void MoveIndexSidecar(Fs& fs, const std::string& from_segment_path,
                      const std::string& to_segment_path);

Result<SegmentIndex> BuildIndexFromSegment(const std::string& segment_path,
                                           const std::string& segment_name);

}  // namespace trove
