#pragma once
// Status and Result<T>: errors are values (LevelDB style). Every fallible
// call in the data path returns one and the caller checks it; nothing in the
// hot path throws. A Status carries a code, an optional errno and a message
// that already names the file, offset or field and what to do about it.
// Both are [[nodiscard]]: ignoring one is a compile error in CI; where a
// failure truly does not matter, the call site says why beside a (void).
// Thread safety: values; copy freely.

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace trove {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,    // the user asked for something malformed
    kNotFound,           // a named thing does not exist
    kAlreadyExists,      // creating something that exists
    kIoError,            // an OS call failed (errno set)
    kNoSpace,            // ENOSPC / EDQUOT: the disk is full
    kUnavailable,        // a storage path or device went away
    kCorruption,         // stored or input bytes are malformed
    kFailedPrecondition, // state does not allow the operation
    kInternal,           // a bug in trove
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
  static Status FailedPrecondition(std::string m) {
    return Status(Code::kFailedPrecondition, std::move(m));
  }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  // From an errno value (kept in sys_errno()): ENOSPC/EDQUOT -> kNoSpace,
  // ENOENT -> kNotFound, EEXIST -> kAlreadyExists, ENODEV/ENOTCONN/ESTALE/
  // ENXIO -> kUnavailable, anything else (EIO...) -> kIoError.
  static Status FromErrno(int err, const std::string& what);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return msg_; }
  bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  std::string ToString() const;
  // Prefixes context: "opening segment: <msg>".
  Status Annotate(const std::string& context) const;

 private:
  Status(Code c, std::string m, int e = 0) : code_(c), errno_(e), msg_(std::move(m)) {}
  Code code_ = Code::kOk;
  int errno_ = 0;
  std::string msg_;
};

// Result<T>: a T or a non-ok Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}                 // NOLINT(runtime/explicit)
  Result(Status s) : v_(std::move(s)) {}            // NOLINT(runtime/explicit)
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace trove

#define TROVE_CONCAT_INNER(a, b) a##b
#define TROVE_CONCAT(a, b) TROVE_CONCAT_INNER(a, b)

#define TROVE_RETURN_IF_ERROR(expr)         \
  do {                                      \
    ::trove::Status _st = (expr);           \
    if (!_st.ok()) return _st;              \
  } while (0)

#define TROVE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#define TROVE_ASSIGN_OR_RETURN(lhs, expr) \
  TROVE_ASSIGN_OR_RETURN_IMPL(TROVE_CONCAT(_res_, __LINE__), lhs, expr)
