// OpenCatalog: picks the backend from the catalogue URL. The only place
// that knows which backends exist.

#include <filesystem>

#include "catalog/catalog.h"
#include "catalog/sqlite_catalog.h"

namespace trove {

Result<std::unique_ptr<Catalog>> OpenCatalog(const std::string& url, const std::string& store_dir,
                                             bool create) {
  const size_t colon = url.find(':');
  if (url.empty() || colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument(
        "catalogue URL '" + url + "' has no scheme; expected sqlite:PATH (e.g. sqlite:catalog.db)");
  }
  const std::string scheme = url.substr(0, colon);
  if (scheme == "sqlite") {
    std::filesystem::path p(url.substr(colon + 1));
    if (p.empty()) {
      return Status::InvalidArgument(
          "catalogue URL '" + url +
          "' names no file; expected sqlite:PATH (e.g. sqlite:catalog.db)");
    }
    if (p.is_relative()) p = std::filesystem::path(store_dir) / p;
    auto cat = SqliteCatalog::Open(p.lexically_normal().string(), create);
    if (!cat.ok()) return cat.status();
    return std::unique_ptr<Catalog>(std::move(cat).value());
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    // Only the scheme is echoed: the rest of a server URL may hold a password.
    return Status::Unavailable("catalogue URL scheme '" + scheme +
                               "': PostgreSQL backend not built yet; use sqlite:PATH");
  }
  return Status::InvalidArgument("catalogue URL has unknown scheme '" + scheme +
                                 "'; supported: sqlite:PATH (PostgreSQL later)");
}

}  // namespace trove
