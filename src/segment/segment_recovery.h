#pragma once
// Recovery of segment files that never finished publishing: the one code
// path shared by the writer's failover, daemon start, `trove fsck` and the
// mover. Every function leaves the store consistent whatever happens: a
// file is catalogued only after it is complete, fsynced and renamed.

#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "util/fs.h"

namespace trove {

inline constexpr const char* kPartialSuffix = ".partial";
inline constexpr const char* kSegmentSuffix = ".pcapng";

// Why a partial is being salvaged. A crashed run's partial of a derived
// level (trove.level other than raw) is removed, never salvaged: a prefix
// would pass for the whole derivation, and DerivedLevels::Complete
// re-derives it whole from its parent. A durable prefix cut by failover is
// one piece of a segment whose rest went to the spool: kept at any level.
enum class PartialKind { kCrashedRun, kDurablePrefix };

// Turns PATH.pcapng.partial into PATH.pcapng holding its complete records
// (at most `limit` bytes), fsynced, renamed and catalogued. A partial with
// no complete packet (including one cut inside its header blocks by a
// crash right after it was created) is removed and nullopt returned, and so
// is a crashed run's derived-level partial (see PartialKind). A partial
// whose header is not trove's is left alone and reported (Corruption).
Result<std::optional<SegmentRecord>> SalvagePartial(Fs& fs, Catalog& catalog,
                                                    const std::string& partial_path,
                                                    uint64_t limit, StorageArea area,
                                                    PartialKind kind);

// Catalogues a complete segment file that the catalogue does not know (a
// crash between rename and insert). Recomputes everything from the file.
Result<SegmentRecord> AdoptSegment(Catalog& catalog, const std::string& path, StorageArea area);

// Salvages every stranded failover partial whose path is reachable again.
// Returns the number finished; unreachable ones stay recorded.
Result<int> FinishStranded(Fs& fs, Catalog& catalog);

}  // namespace trove

namespace trove {
// Daemon start: salvages the partial files of one link in one storage
// area (the caller holds the link's lock). Returns the number handled.
Result<int> RecoverLinkPartials(Fs& fs, Catalog& catalog, const std::string& area_dir,
                                StorageArea area, const std::string& link);
}  // namespace trove
