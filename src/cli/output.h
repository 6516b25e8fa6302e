#pragma once
// Output formatting shared by the subcommands: segment records as JSON
// objects and as human-readable text, and small table helpers.

#include <nlohmann/json.hpp>
#include <string>

#include "catalog/segment_record.h"
#include "packet/link_type.h"

namespace trove::cli {

nlohmann::json SegmentToJson(const SegmentRecord& r);
std::string SegmentDetails(const SegmentRecord& r);  // multi-line "key: value"
// Prints a JSON document followed by a newline on stdout.
void PrintJson(const nlohmann::json& j);

}  // namespace trove::cli
