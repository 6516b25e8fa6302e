#include "packet/link_type.h"

#include <pcap/pcap.h>

namespace trove {
namespace {

constexpr LinkTypeInfo kLinkTypes[] = {
    {kLinkNull, 4},     {kLinkEthernet, 14}, {kLinkRaw, 0},        {kLinkRawBsdOs, 0},
    {kLinkTypeRaw, 0},  {kLinkLoop, 4},      {kLinkLinuxSll, 16},  {kLinkIPv4, 0},
    {kLinkIPv6, 0},     {kLinkLinuxSll2, 20},
};

}  // namespace

const LinkTypeInfo* FindLinkType(uint16_t dlt) {
  for (const LinkTypeInfo& l : kLinkTypes)
    if (l.dlt == dlt) return &l;
  return nullptr;
}

uint16_t LinkTypeOnDisk(uint16_t dlt) {
  return dlt == kLinkRaw || dlt == kLinkRawBsdOs ? kLinkTypeRaw : dlt;
}

std::string LinkTypeName(uint16_t dlt) {
  const char* n = pcap_datalink_val_to_name(dlt);
  return n ? n : std::to_string(dlt);
}

}  // namespace trove
