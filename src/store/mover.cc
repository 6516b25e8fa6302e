#include "store/mover.h"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "index/index_file.h"
#include "segment/segment_recovery.h"
#include "segment/storage_router.h"
#include "util/sha256.h"
#include "util/time_util.h"

namespace trove {
namespace {

// Copies src to dst (created), fsyncs it and returns the SHA-256 of what
// was read back from dst.
Result<std::string> CopyVerified(Fs& fs, const std::string& src, const std::string& dst) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::FromErrno(errno, "opening " + src);
  auto out = fs.NewWritableFile(dst);
  if (!out.ok()) {
    ::close(in);
    return out.status();
  }
  std::vector<char> buf(1 << 20);
  Status st;
  for (;;) {
    ssize_t r = ::read(in, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      st = Status::FromErrno(errno, "reading " + src);
      break;
    }
    if (r == 0) break;
    st = (*out)->Append(buf.data(), static_cast<size_t>(r));
    if (!st.ok()) break;
  }
  ::close(in);
  if (st.ok()) st = (*out)->Sync();
  Status cs = (*out)->Close();
  if (st.ok()) st = cs;
  if (!st.ok()) {
    (void)fs.Remove(dst);
    return st;
  }
  return Sha256File(dst);
}

}  // namespace

Result<MoverReport> RunMover(Store& store, const MoverOptions& opts) {
  MoverReport rep;
  TROVE_RETURN_IF_ERROR(store.CheckWritable());
  Fs& fs = store.fs();
  Catalog& cat = store.catalog();
  StorageRouter router(fs, store.primary_dir(), store.spool_dir(),
                       store.config().storage.probe_interval_ns);
  rep.primary_available = router.ProbePrimary(WallClockNs());
  if (!rep.primary_available) {
    SegmentQuery q;
    q.area = StorageArea::kSpool;
    q.state = SegmentState::kStored;
    auto l = cat.ListSegments(q);
    if (l.ok()) rep.remaining = static_cast<int>(l->size());
    return rep;
  }
  auto fin = FinishStranded(fs, cat);
  if (fin.ok()) rep.stranded_finished = *fin;
  else rep.errors.push_back(fin.status().message());

  SegmentQuery q;
  q.area = StorageArea::kSpool;
  q.state = SegmentState::kStored;
  auto list = cat.ListSegments(q);
  if (!list.ok()) return list.status();
  uint64_t total = 0, done = 0;
  for (const auto& s : *list) total += s.file_bytes;
  Progress progress("moving", total);
  for (const auto& s : *list) {
    if (!router.ProbePrimary(WallClockNs())) {
      rep.errors.push_back("primary became unavailable; stopping");
      break;
    }
    const std::string dir = router.SegmentDir(StorageArea::kPrimary, s.link, s.stats.first_ts_ns);
    const std::string final_path = JoinPath(dir, s.name + kSegmentSuffix);
    const std::string tmp = final_path + kMovingSuffix;
    Status st = fs.CreateDirs(dir);
    if (st.ok()) {
      (void)fs.Remove(tmp);  // a copy left by an interrupted run
      auto sha = CopyVerified(fs, s.path, tmp);
      if (!sha.ok()) st = sha.status();
      else if (*sha != s.sha256) {
        (void)fs.Remove(tmp);
        st = Status::Corruption("copy of " + s.path + " has SHA-256 " + *sha +
                                ", catalogue says " + s.sha256 + "; spool copy kept");
      }
    }
    if (st.ok()) st = fs.RenameDurable(tmp, final_path);
    // The index goes first, so that the row never points at a segment
    // whose index is still on the way (expiry deletes the row's index).
    if (st.ok()) CopyIndexSidecar(fs, s.path, final_path);
    if (st.ok() && opts.step_hook) opts.step_hook("copied");
    bool expired = false;
    if (st.ok())
      st = cat.Transaction([&]() -> Status {
        TROVE_ASSIGN_OR_RETURN(SegmentRecord now, cat.GetSegment(std::to_string(s.id)));
        expired = now.state != SegmentState::kStored;
        if (expired) return Status::Ok();
        return cat.UpdateLocation(s.id, StorageArea::kPrimary, final_path);
      });
    if (st.ok() && expired) {
      for (const std::string& p : {final_path, s.path}) {
        if (!store.CheckOwnedPath(p).ok()) continue;
        (void)fs.Remove(IndexPathFor(p));
        (void)fs.Remove(p);
        (void)fs.SyncDir(DirName(p));
      }
      ++rep.expired_meanwhile;
    } else if (st.ok()) {
      Status rm = store.CheckOwnedPath(s.path);
      if (rm.ok()) (void)fs.Remove(IndexPathFor(s.path));
      if (rm.ok()) rm = fs.Remove(s.path);
      if (rm.ok()) (void)fs.SyncDir(DirName(s.path));
      ++rep.moved;
    } else {
      rep.errors.push_back(s.name + ": " + st.message());
    }
    done += s.file_bytes;
    progress.Update(done, 0);
  }
  progress.Finish();
  SegmentQuery rq;
  rq.area = StorageArea::kSpool;
  rq.state = SegmentState::kStored;
  auto left = cat.ListSegments(rq);
  if (left.ok()) rep.remaining = static_cast<int>(left->size());
  return rep;
}

}  // namespace trove
