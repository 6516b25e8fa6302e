#include "flow/control_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "util/thread_name.h"

namespace trove {
namespace {

bool MakeAddr(const std::string& path, sockaddr_un* a) {
  std::memset(a, 0, sizeof(*a));
  a->sun_family = AF_UNIX;
  if (path.size() >= sizeof(a->sun_path)) return false;
  std::memcpy(a->sun_path, path.c_str(), path.size());
  return true;
}

// Reads within timeout_ms, up to `max` bytes, until a newline (which is
// not kept) when `to_newline`, else until EOF; false on timeout/error.
bool ReadUntil(int fd, std::string* out, int timeout_ms, bool to_newline, size_t max) {
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out->size() < max) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 && (!to_newline || !out->empty());
    out->append(buf, static_cast<size_t>(n));
    if (auto nl = out->find('\n'); to_newline && nl != std::string::npos) {
      out->resize(nl);
      return true;
    }
  }
  return true;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& path) {
  sockaddr_un a;
  if (!MakeAddr(path, &a))
    return Status::InvalidArgument("control socket path too long (" + std::to_string(path.size()) +
                                   " bytes): " + path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "control socket");
  ::unlink(path.c_str());  // stale: the caller holds the link lock
  const mode_t old = ::umask(0077);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::umask(old);
  if (rc != 0 || ::listen(fd, 8) != 0) {
    Status st = Status::FromErrno(errno, "control socket " + path);
    ::close(fd);
    return st;
  }
  return std::unique_ptr<ControlServer>(new ControlServer(fd, path));
}

ControlServer::ControlServer(int fd, std::string path)
    : listen_fd_(fd), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), path_(std::move(path)) {
  thread_ = std::thread([this] { Serve(); });
}

ControlServer::~ControlServer() {
  stop_ = true;
  cv_.notify_all();
  if (wake_fd_ >= 0) {  // end the server's poll now, not at its timeout
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  ::close(listen_fd_);
  ::unlink(path_.c_str());
}

void ControlServer::Serve() {
  SetThreadName("trove-ctl");
  while (!stop_.load()) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(p, wake_fd_ >= 0 ? 2 : 1, 200) <= 0 || (p[0].revents & POLLIN) == 0) continue;
    const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    HandleClient(c);
    ::close(c);
  }
}

void ControlServer::HandleClient(int fd) {
  std::string line;
  if (!ReadUntil(fd, &line, 2000, /*to_newline=*/true, 4096)) {
    WriteAll(fd, "error: no command received\n");
    return;
  }
  auto cmd = ParseControlCommand(line);
  if (!cmd.ok()) {
    WriteAll(fd, "error: " + cmd.status().message() + "\n");
    return;
  }
  Request req;
  req.cmd = *cmd;
  std::unique_lock<std::mutex> lk(mu_);
  queue_.push_back(&req);
  pending_.store(true, std::memory_order_relaxed);
  const bool done =
      cv_.wait_for(lk, std::chrono::seconds(5), [&] { return req.done || stop_.load(); });
  if (!req.done) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (*it == &req) {
        queue_.erase(it);
        break;
      }
    lk.unlock();
    (void)done;
    WriteAll(fd, "error: the ingest did not take the command (ending?)\n");
    return;
  }
  lk.unlock();
  WriteAll(fd, req.reply + "\n");
}

void ControlServer::Poll(CutoffStage* stage, const IngestCounters& counters) {
  std::lock_guard<std::mutex> lk(mu_);
  for (Request* r : queue_) {
    auto res = ApplyControlCommand(stage, r->cmd, counters);
    r->reply = res.ok() ? "ok: " + *res : "error: " + res.status().message();
    r->done = true;
  }
  queue_.clear();
  pending_.store(false, std::memory_order_relaxed);
  cv_.notify_all();
}

Result<std::string> SendControlCommand(const std::string& path, const std::string& line) {
  sockaddr_un a;
  if (!MakeAddr(path, &a)) return Status::InvalidArgument("control socket path too long: " + path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "control socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    const int e = errno;
    ::close(fd);
    return Status::Unavailable("cannot reach " + path + " (" + std::strerror(e) +
                               "): is a trove import/capture of this link running?");
  }
  WriteAll(fd, line + "\n");
  std::string reply;
  const bool ok = ReadUntil(fd, &reply, 10000, /*to_newline=*/false, 1u << 20);
  ::close(fd);
  if (!ok && reply.empty()) return Status::Unavailable("no reply from " + path);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  return reply;
}

}  // namespace trove
