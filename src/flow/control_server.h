#pragma once
// ControlServer: the local control socket of one running ingest
// (STORE/run/LINK.ctl, a UNIX stream socket, mode 0600). A client writes
// one command line (control_command.h) and reads the reply, "ok: ..." or
// "error: ..." (one or more lines, at most 1 MiB), until the server closes
// the connection.
//
// Threads: a server thread accepts and parses; the command itself is run
// by the writer thread in Poll(), which the pipeline calls when pending()
// is set (one relaxed atomic load per packet), so the CutoffStage is never
// touched by two threads. A client waits at most 5 s for the writer
// (e.g. when the ingest is ending) and is then told so. The socket file is
// removed when the server is destroyed; a stale one (the link lock is held
// by this process) is replaced at Start().

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "flow/control_command.h"
#include "flow/cutoff_stage.h"
#include "util/status.h"

namespace trove {

class ControlServer {
 public:
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& socket_path);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  bool pending() const { return pending_.load(std::memory_order_relaxed); }
  // Writer thread: runs the queued commands against `stage` (null: the
  // link has no classes); `counters` answers `stats`.
  void Poll(CutoffStage* stage, const IngestCounters& counters);
  const std::string& path() const { return path_; }

 private:
  struct Request {
    ControlCommand cmd;
    std::string reply;
    bool done = false;
  };
  ControlServer(int fd, std::string path);
  void Serve();
  void HandleClient(int fd);

  int listen_fd_;
  int wake_fd_;  // eventfd: the destructor wakes Serve()'s poll through it
  std::string path_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> pending_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
};

// What `trove ctl` does: sends `line` to the socket and returns the reply
// (without the final newline). Unavailable when nothing listens there.
Result<std::string> SendControlCommand(const std::string& socket_path, const std::string& line);

}  // namespace trove
