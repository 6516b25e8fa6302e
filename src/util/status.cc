#include "util/status.h"

#include <cstring>

namespace trove {

Status Status::FromErrno(int err, const std::string& what) {
  std::string m = what + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Status(Code::kNoSpace, std::move(m), err);
    case ENOENT:
      return Status(Code::kNotFound, std::move(m), err);
    case EEXIST:
      return Status(Code::kAlreadyExists, std::move(m), err);
    case ENODEV:
    case ENOTCONN:
    case ESTALE:
    case ENXIO:
      return Status(Code::kUnavailable, std::move(m), err);
    default:
      return Status(Code::kIoError, std::move(m), err);
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return msg_;
}

Status Status::Annotate(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + msg_, errno_);
}

}  // namespace trove
