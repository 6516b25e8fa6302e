// Tests for util/fs.h (DefaultFs, MappedFile, WriteFileAtomic, path
// helpers) and the errno mapping of util/status.h that the storage
// failover depends on. Results are checked against stat(2)/read(2) done
// here, against df(1) for free space, and — when running as root with
// mount namespaces available — against a real 64 KiB tmpfs that fills up.

#include "util/fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/test_files.h"

namespace trove {
namespace {

using testing_util::TempDir;

std::string Pattern(size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

// Reads a file with plain POSIX calls (independent of the code under test).
std::string Slurp(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<missing>";
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

void Spit(const std::string& path, const std::string& content) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(content.data(), 1, content.size(), f), content.size());
  std::fclose(f);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// ------------------------------------------------------------ Status

TEST(StatusFromErrno, MapsErrnoToCodes) {
  Status s = Status::FromErrno(ENOSPC, "writing /x/y");
  EXPECT_EQ(s.code(), Status::Code::kNoSpace);
  EXPECT_TRUE(s.IsNoSpace());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  EXPECT_EQ(s.message(), std::string("writing /x/y: ") + std::strerror(ENOSPC));

  Status q = Status::FromErrno(EDQUOT, "w");
  EXPECT_TRUE(q.IsNoSpace());
  EXPECT_EQ(q.sys_errno(), EDQUOT);

  EXPECT_EQ(Status::FromErrno(ENOENT, "x").code(), Status::Code::kNotFound);
  EXPECT_EQ(Status::FromErrno(EEXIST, "x").code(), Status::Code::kAlreadyExists);
  for (int e : {ENODEV, ENOTCONN, ESTALE, ENXIO}) {
    EXPECT_EQ(Status::FromErrno(e, "x").code(), Status::Code::kUnavailable) << e;
    EXPECT_FALSE(Status::FromErrno(e, "x").IsNoSpace());
  }
  for (int e : {EIO, EACCES, EBADF, EROFS}) {
    Status st = Status::FromErrno(e, "x");
    EXPECT_EQ(st.code(), Status::Code::kIoError) << e;
    EXPECT_EQ(st.sys_errno(), e);
    EXPECT_FALSE(st.IsNoSpace());
  }
}

TEST(StatusFromErrno, AnnotateKeepsCodeAndErrno) {
  Status s = Status::FromErrno(ENOSPC, "writing f").Annotate("segment abc");
  EXPECT_TRUE(s.IsNoSpace());
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  EXPECT_EQ(s.message().rfind("segment abc: writing f: ", 0), 0u) << s.message();
  EXPECT_TRUE(Status::Ok().Annotate("ctx").ok());
  EXPECT_EQ(Status::Ok().ToString(), "OK");
}

// ------------------------------------------------------- WritableFile

TEST(DefaultFs, NewWritableFileCreatesEmptyFile) {
  TempDir d;
  Fs& fs = DefaultFs();
  const std::string p = d / "a.bin";
  auto f = fs.NewWritableFile(p);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->Size(), 0u);
  EXPECT_EQ((*f)->path(), p);
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ((*f)->DeviceId(), static_cast<uint64_t>(st.st_dev));
  const mode_t um = ::umask(0);
  ::umask(um);
  EXPECT_EQ(st.st_mode & 0777, 0640u & ~um);
  EXPECT_TRUE((*f)->Close().ok());
}

TEST(DefaultFs, NewWritableFileRefusesExistingFile) {
  TempDir d;
  const std::string p = d / "exists";
  Spit(p, "precious");
  auto f = DefaultFs().NewWritableFile(p);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().sys_errno(), EEXIST);
  EXPECT_NE(f.status().message().find(p), std::string::npos) << f.status().message();
  EXPECT_EQ(Slurp(p), "precious");  // untouched, not truncated
}

TEST(DefaultFs, NewWritableFileInMissingDirIsNotFound) {
  TempDir d;
  auto f = DefaultFs().NewWritableFile(d / "no/such/dir/f");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(f.status().sys_errno(), ENOENT);
}

TEST(DefaultFs, AppendSizeAndContent) {
  TempDir d;
  const std::string p = d / "f";
  auto f = DefaultFs().NewWritableFile(p);
  ASSERT_TRUE(f.ok());
  WritableFile& w = **f;
  std::string want;
  const size_t sizes[] = {0, 1, 3, 4096, 7, 3 << 20, 12345};
  unsigned seed = 1;
  for (size_t n : sizes) {
    const std::string chunk = Pattern(n, seed++);
    ASSERT_TRUE(w.Append(chunk.data(), chunk.size()).ok());
    want += chunk;
    EXPECT_EQ(w.Size(), want.size());
  }
  w.StartWriteback();
  ASSERT_TRUE(w.Sync().ok());
  w.StartWriteback();  // nothing new: a no-op
  ASSERT_TRUE(w.Close().ok());
  EXPECT_TRUE(w.Close().ok());  // idempotent
  EXPECT_EQ(Slurp(p), want);
}

TEST(DefaultFs, TruncateMovesTheAppendPosition) {
  TempDir d;
  const std::string p = d / "t";
  auto f = DefaultFs().NewWritableFile(p);
  ASSERT_TRUE(f.ok());
  WritableFile& w = **f;
  ASSERT_TRUE(w.Append("0123456789", 10).ok());
  ASSERT_TRUE(w.Truncate(4).ok());
  EXPECT_EQ(w.Size(), 4u);
  ASSERT_TRUE(w.Append("ab", 2).ok());
  EXPECT_EQ(w.Size(), 6u);
  ASSERT_TRUE(w.Sync().ok());
  EXPECT_EQ(Slurp(p), "0123ab");
  // Growing fills with zeros and appends after the new end.
  ASSERT_TRUE(w.Truncate(8).ok());
  ASSERT_TRUE(w.Append("Z", 1).ok());
  ASSERT_TRUE(w.Close().ok());
  EXPECT_EQ(Slurp(p), std::string("0123ab\0\0Z", 9));
  // To zero.
  auto g = DefaultFs().NewWritableFile(d / "z");
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Append("xyz", 3).ok());
  ASSERT_TRUE((*g)->Truncate(0).ok());
  ASSERT_TRUE((*g)->Append("q", 1).ok());
  ASSERT_TRUE((*g)->Close().ok());
  EXPECT_EQ(Slurp(d / "z"), "q");
}

TEST(DefaultFs, AppendAfterCloseFails) {
  TempDir d;
  auto f = DefaultFs().NewWritableFile(d / "c");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Close().ok());
  Status s = (*f)->Append("x", 1);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.sys_errno(), EBADF);
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_EQ((*f)->Size(), 0u);
}

// --------------------------------------------------------- Fs methods

TEST(DefaultFs, RenameDurable) {
  TempDir d;
  Fs& fs = DefaultFs();
  Spit(d / "from", "payload");
  ASSERT_TRUE(fs.CreateDirs(d / "sub").ok());
  ASSERT_TRUE(fs.RenameDurable(d / "from", d / "sub/to").ok());
  EXPECT_FALSE(Exists(d / "from"));
  EXPECT_EQ(Slurp(d / "sub/to"), "payload");
  // Replaces an existing destination atomically.
  Spit(d / "new", "v2");
  ASSERT_TRUE(fs.RenameDurable(d / "new", d / "sub/to").ok());
  EXPECT_EQ(Slurp(d / "sub/to"), "v2");
  // Missing source.
  Status s = fs.RenameDurable(d / "nope", d / "sub/x");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find(d / "nope"), std::string::npos);
  // Missing destination directory.
  Spit(d / "a", "a");
  EXPECT_FALSE(fs.RenameDurable(d / "a", d / "missing/a").ok());
  EXPECT_TRUE(Exists(d / "a"));
}

TEST(DefaultFs, RemoveSyncAndTruncateFile) {
  TempDir d;
  Fs& fs = DefaultFs();
  Spit(d / "f", "0123456789");
  EXPECT_TRUE(fs.SyncFile(d / "f").ok());
  EXPECT_TRUE(fs.SyncDir(d.path()).ok());
  ASSERT_TRUE(fs.TruncateFile(d / "f", 3).ok());
  EXPECT_EQ(Slurp(d / "f"), "012");
  ASSERT_TRUE(fs.Remove(d / "f").ok());
  EXPECT_FALSE(Exists(d / "f"));
  EXPECT_EQ(fs.Remove(d / "f").code(), Status::Code::kNotFound);
  EXPECT_EQ(fs.SyncFile(d / "f").code(), Status::Code::kNotFound);
  EXPECT_EQ(fs.SyncDir(d / "nodir").code(), Status::Code::kNotFound);
  EXPECT_EQ(fs.TruncateFile(d / "f", 0).code(), Status::Code::kNotFound);
}

TEST(DefaultFs, ListDir) {
  TempDir d;
  Fs& fs = DefaultFs();
  auto empty = fs.ListDir(d.path());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());  // no "." or ".."
  Spit(d / "b", "");
  Spit(d / "a", "");
  Spit(d / ".hidden", "");
  ASSERT_EQ(::mkdir((d / "sub").c_str(), 0700), 0);
  Spit(d / "sub/inner", "");  // not listed: not recursive
  auto names = fs.ListDir(d.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(Sorted(*names), (std::vector<std::string>{".hidden", "a", "b", "sub"}));
  auto missing = fs.ListDir(d / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(fs.ListDir(d / "a").ok());  // a file
}

TEST(DefaultFs, Stat) {
  TempDir d;
  Fs& fs = DefaultFs();
  Spit(d / "f", std::string(1234, 'x'));
  struct stat ref;
  ASSERT_EQ(::stat((d / "f").c_str(), &ref), 0);
  auto s = fs.Stat(d / "f");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->exists);
  EXPECT_FALSE(s->is_dir);
  EXPECT_EQ(s->size, 1234u);
  EXPECT_EQ(s->device, static_cast<uint64_t>(ref.st_dev));
  auto dir = fs.Stat(d.path());
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->exists);
  EXPECT_TRUE(dir->is_dir);
  // Absent things are not errors.
  auto none = fs.Stat(d / "none");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->exists);
  auto through_file = fs.Stat(d / "f/child");  // ENOTDIR
  ASSERT_TRUE(through_file.ok());
  EXPECT_FALSE(through_file->exists);
}

TEST(DefaultFs, CreateDirsNested) {
  TempDir d;
  Fs& fs = DefaultFs();
  const std::string deep = d / "a/b/c/d/e";
  ASSERT_TRUE(fs.CreateDirs(deep).ok());
  struct stat st;
  ASSERT_EQ(::stat(deep.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(fs.CreateDirs(deep).ok());  // idempotent
  EXPECT_TRUE(fs.CreateDirs(d / "a/b/x/").ok());
  ASSERT_EQ(::stat((d / "a/b/x").c_str(), &st), 0);
  EXPECT_TRUE(fs.CreateDirs(d / "a//y").ok());
  ASSERT_EQ(::stat((d / "a/y").c_str(), &st), 0);
  EXPECT_TRUE(fs.CreateDirs("").ok());
  // A file in the way.
  Spit(d / "file", "x");
  Status s = fs.CreateDirs(d / "file");
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_FALSE(fs.CreateDirs(d / "file/sub").ok());
}

TEST(DefaultFs, CreateDirsRelative) {
  TempDir d;
  char old[4096];
  ASSERT_NE(::getcwd(old, sizeof old), nullptr);
  ASSERT_EQ(::chdir(d.path().c_str()), 0);
  Status s = DefaultFs().CreateDirs("rel/one/two");
  const bool made = Exists(d / "rel/one/two");
  ASSERT_EQ(::chdir(old), 0);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(made);
}

TEST(DefaultFs, FreeBytesAgreesWithDf) {
  TempDir d;
  auto free = DefaultFs().FreeBytes(d.path());
  ASSERT_TRUE(free.ok()) << free.status().ToString();
  EXPECT_GT(*free, 0u);
  FILE* p = ::popen(("df -B1 --output=avail '" + d.path() + "' | tail -1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  unsigned long long df = 0;
  const int got = std::fscanf(p, "%llu", &df);
  ::pclose(p);
  if (got != 1) GTEST_SKIP() << "df --output not available";
  // Other processes write meanwhile: allow 1% or 256 MiB of drift.
  const double tol = std::max(256.0 * (1 << 20), 0.01 * static_cast<double>(df));
  EXPECT_NEAR(static_cast<double>(*free), static_cast<double>(df), tol);
  auto missing = DefaultFs().FreeBytes(d / "missing");
  EXPECT_FALSE(missing.ok());
}

// ------------------------------------------------ whole-file helpers

TEST(MappedFile, EmptyAndNonEmpty) {
  TempDir d;
  Spit(d / "empty", "");
  auto e = MappedFile::Open(d / "empty");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->size(), 0u);
  const std::string content = Pattern(100000, 9);
  Spit(d / "full", content);
  auto m = MappedFile::Open(d / "full");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ((*m)->size(), content.size());
  EXPECT_EQ(std::memcmp((*m)->data(), content.data(), content.size()), 0);
  auto missing = MappedFile::Open(d / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST(MappedFile, SurvivesUnlinkOfTheFile) {
  TempDir d;
  Spit(d / "f", "abcdef");
  auto m = MappedFile::Open(d / "f");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(::unlink((d / "f").c_str()), 0);
  ASSERT_EQ((*m)->size(), 6u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*m)->data()), 6), "abcdef");
}

TEST(ReadFileToString, ContentAndMissing) {
  TempDir d;
  const std::string content = Pattern(200000, 3);
  Spit(d / "f", content);
  auto r = ReadFileToString(d / "f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, content);
  auto m = ReadFileToString(d / "missing");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kNotFound);
}

TEST(WriteFileAtomic, WritesReplacesAndLeavesNoTmp) {
  TempDir d;
  Fs& fs = DefaultFs();
  ASSERT_TRUE(WriteFileAtomic(fs, d / "cfg", "one\n").ok());
  EXPECT_EQ(Slurp(d / "cfg"), "one\n");
  ASSERT_TRUE(WriteFileAtomic(fs, d / "cfg", "two\n").ok());
  EXPECT_EQ(Slurp(d / "cfg"), "two\n");
  // A .tmp left by a crash is replaced, not appended to or refused.
  Spit(d / "cfg.tmp", "garbage from a crash");
  ASSERT_TRUE(WriteFileAtomic(fs, d / "cfg", "three\n").ok());
  EXPECT_EQ(Slurp(d / "cfg"), "three\n");
  ASSERT_TRUE(WriteFileAtomic(fs, d / "empty", "").ok());
  EXPECT_EQ(Slurp(d / "empty"), "");
  auto names = fs.ListDir(d.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(Sorted(*names), (std::vector<std::string>{"cfg", "empty"}));
}

TEST(WriteFileAtomic, MissingDirectoryFails) {
  TempDir d;
  Status s = WriteFileAtomic(DefaultFs(), d / "no/cfg", "x");
  EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
  EXPECT_FALSE(Exists(d / "no"));
}

TEST(PathHelpers, HandComputed) {
  EXPECT_EQ(DirName("/a/b/c.pcapng"), "/a/b");
  EXPECT_EQ(DirName("/a"), "/");
  EXPECT_EQ(DirName("a"), ".");
  EXPECT_EQ(DirName("a/b"), "a");
  EXPECT_EQ(BaseName("/a/b/c.pcapng"), "c.pcapng");
  EXPECT_EQ(BaseName("c"), "c");
  EXPECT_EQ(BaseName("/a/"), "");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a/", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a", "/abs"), "/abs");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(JoinPath("/a", ""), "/a");
  EXPECT_EQ(JoinPath("/", "x"), "/x");
}

// ----------------------------------------------------- real ENOSPC

// Runs `body` in a forked child inside a private mount namespace with a
// file system of type `fstype` (mount options `opts`) mounted at `dir`. The
// child reports failures as text on a pipe; exit 77 means "cannot set up"
// (skip).
std::string RunOnMount(const char* fstype, const char* opts, const std::string& dir, bool* skipped,
                       std::string (*body)(const std::string& dir)) {
  *skipped = false;
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    std::string err;
    int code = 0;
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(fstype, dir.c_str(), fstype, 0, opts) != 0) {
      err = std::string("cannot mount a ") + fstype + ": " + std::strerror(errno);
      code = 77;
    } else {
      err = body(dir);
      code = err.empty() ? 0 : 1;
    }
    ssize_t w = ::write(fds[1], err.data(), err.size());
    (void)w;
    ::_exit(code);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    *skipped = true;
    return out;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return out.empty() ? "child failed with status " + std::to_string(status) : out;
  return {};
}

std::string FillTmpfs(const std::string& dir) {
  std::string err;
  Fs& fs = DefaultFs();
  auto free = fs.FreeBytes(dir);
  if (!free.ok() || *free > 64 * 1024)
    err += "FreeBytes on a 64 KiB tmpfs: " +
           (free.ok() ? std::to_string(*free) : free.status().ToString()) + "\n";
  auto f = fs.NewWritableFile(dir + "/seg.partial");
  if (!f.ok()) return err + "NewWritableFile: " + f.status().ToString();
  const std::string chunk = Pattern(4096, 5);
  Status last;
  int appended = 0;
  for (int i = 0; i < 64 && last.ok(); ++i) {  // 256 KiB into 64 KiB
    last = (*f)->Append(chunk.data(), chunk.size());
    if (last.ok()) ++appended;
  }
  if (last.ok()) err += "256 KiB fit on a 64 KiB tmpfs\n";
  if (!last.IsNoSpace()) err += "Append error is not kNoSpace: " + last.ToString() + "\n";
  if (last.sys_errno() != ENOSPC) err += "errno " + std::to_string(last.sys_errno()) + "\n";
  if (last.message().find(dir + "/seg.partial") == std::string::npos)
    err += "message does not name the file: " + last.message() + "\n";
  // Size() counts only bytes the kernel took.
  struct stat st;
  if (::stat((dir + "/seg.partial").c_str(), &st) != 0 ||
      static_cast<uint64_t>(st.st_size) != (*f)->Size())
    err += "Size() " + std::to_string((*f)->Size()) + " != file size " +
           std::to_string(st.st_size) + "\n";
  if ((*f)->Size() < static_cast<uint64_t>(appended) * 4096)
    err += "Size() below the successful appends\n";
  (void)(*f)->Close();
  // WriteFileAtomic on a full disk fails with kNoSpace and publishes nothing.
  Status w = WriteFileAtomic(fs, dir + "/cfg", Pattern(128 * 1024, 6));
  if (!w.IsNoSpace()) err += "WriteFileAtomic on a full tmpfs: " + w.ToString() + "\n";
  if (::access((dir + "/cfg").c_str(), F_OK) == 0) err += "cfg exists after a failed write\n";
  if (::access((dir + "/cfg.tmp").c_str(), F_OK) == 0)
    err += "cfg.tmp left behind (taking space) after a failed write\n";
  // Freeing space makes writes work again.
  if (!fs.Remove(dir + "/seg.partial").ok()) err += "Remove failed\n";
  Status again = WriteFileAtomic(fs, dir + "/cfg", "small");
  if (!again.ok()) err += "write after freeing space: " + again.ToString() + "\n";
  return err;
}

// The test body of each real-mount test: `body` must report nothing.
void ExpectNoErrorOnMount(const char* fstype, const char* opts,
                          std::string (*body)(const std::string& dir)) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a " << fstype << " in a namespace";
  TempDir d;
  ASSERT_EQ(::mkdir((d / "mnt").c_str(), 0700), 0);
  bool skipped = false;
  std::string err = RunOnMount(fstype, opts, d / "mnt", &skipped, body);
  if (skipped) GTEST_SKIP() << err;
  EXPECT_EQ(err, "");
  // The mount lived only in the child's namespace.
  EXPECT_TRUE(DefaultFs().ListDir(d / "mnt")->empty());
}

TEST(DefaultFsNoSpace, WritesToAFullTmpfsFailWithNoSpace) {
  ExpectNoErrorOnMount("tmpfs", "size=64k", &FillTmpfs);
}

// ramfs reports no capacity (zero blocks) and refuses O_DIRECT at open().
std::string WriteOnRamfs(const std::string& dir) {
  std::string err;
  Fs& fs = DefaultFs();
  if (::open((dir + "/probe").c_str(), O_CREAT | O_WRONLY | O_DIRECT, 0600) >= 0 || errno != EINVAL)
    return "ramfs accepted O_DIRECT (or failed otherwise: " + std::string(std::strerror(errno)) +
           "): nothing here tests the fallback";
  auto free = fs.FreeBytes(dir);
  if (!free.ok() || *free != UINT64_MAX)
    err += "FreeBytes on a ramfs (no capacity reported) should be UINT64_MAX, got " +
           (free.ok() ? std::to_string(*free) : free.status().ToString()) + "\n";
  // The direct writer falls back to buffered writes; the bytes, sizes and
  // truncation behave exactly as on a file system with direct I/O.
  auto f = fs.NewDirectWritableFile(dir + "/seg.partial");
  if (!f.ok()) return err + "NewDirectWritableFile on ramfs: " + f.status().ToString();
  std::string want;
  for (unsigned i = 0; i < 40; ++i) {
    const std::string chunk = Pattern(1000 + 777 * i, i);
    if (!(*f)->Append(chunk.data(), chunk.size()).ok()) return err + "Append failed";
    want += chunk;
    if (i % 7 == 3 && !(*f)->Sync().ok()) return err + "Sync failed";
  }
  if (!(*f)->Truncate(want.size() - 5000).ok()) return err + "Truncate failed";
  want.resize(want.size() - 5000);
  const std::string tail = Pattern(3333, 99);
  if (!(*f)->Append(tail.data(), tail.size()).ok() || !(*f)->Close().ok())
    return err + "Append/Close after Truncate failed";
  want += tail;
  auto got = ReadFileToString(dir + "/seg.partial");
  if (!got.ok() || *got != want)
    err += "file content differs from the appended bytes (" +
           (got.ok() ? std::to_string(got->size()) : got.status().ToString()) + " vs " +
           std::to_string(want.size()) + " bytes)\n";
  return err;
}

TEST(DefaultFsRamfs, NoCapacityIsUnlimitedAndDirectWritesFallBack) {
  ExpectNoErrorOnMount("ramfs", "", &WriteOnRamfs);
}

}  // namespace
}  // namespace trove
