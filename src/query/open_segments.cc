#include "query/open_segments.h"

#include <filesystem>

#include "segment/pcapng_format.h"
#include "segment/segment_header.h"
#include "util/fs.h"

namespace trove {

std::vector<OpenSegmentFile> FindOpenSegments(const std::vector<std::string>& area_dirs,
                                              const std::optional<std::string>& link) {
  static constexpr std::string_view kSuffix = ".pcapng.partial";
  std::vector<OpenSegmentFile> out;
  for (const std::string& dir : area_dirs) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      const std::string p = it->path().string();
      if (p.size() <= kSuffix.size() ||
          p.compare(p.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
        continue;
      auto m = MappedFile::Open(p);
      if (!m.ok()) continue;
      SegmentHeaderInfo h;
      bool have = false;
      PcapngVisitor v;
      v.on_section = [&](const SectionInfo& s, uint64_t) {
        ParseSegmentSection(s, &h);
        have = true;
        return false;  // the section header is enough
      };
      ParsePcapng((*m)->data(), (*m)->size(), v);
      if (!have || h.level != "raw" || h.link.empty() || (link && h.link != *link)) continue;
      const std::string file = it->path().filename().string();
      out.push_back({p, file.substr(0, file.size() - kSuffix.size()), h.link});
    }
  }
  return out;
}

}  // namespace trove
