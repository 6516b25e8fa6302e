#include "flow/class_matcher.h"

#include <algorithm>
#include <numeric>

#include "util/log.h"

namespace trove {

ClassMatcher::ClassMatcher(std::vector<ClassConfig> classes) : classes_(std::move(classes)) {
  order_.resize(classes_.size());
  std::iota(order_.begin(), order_.end(), uint8_t{0});
  std::stable_sort(order_.begin(), order_.end(), [this](uint8_t a, uint8_t b) {
    return classes_[a].precedence > classes_[b].precedence;
  });
}

const ClassMatcher::Compiled& ClassMatcher::ForLinkType(uint16_t linktype) {
  if (last_ && last_->linktype == linktype) return *last_;
  for (const auto& c : compiled_)
    if (c->linktype == linktype) return *(last_ = c.get());
  auto c = std::make_unique<Compiled>();
  c->linktype = linktype;
  for (const auto& k : classes_) {
    auto f = BpfProgram::Compile(k.filter, linktype);
    if (f.ok()) {
      c->filters.emplace_back(std::move(f).value());
    } else {
      LogWarning("class '" + k.name + "': filter '" + k.filter +
                 "' does not compile for link type " + std::to_string(linktype) + " (" +
                 f.status().message() + "); the class matches no packet of that link type");
      c->filters.emplace_back(std::nullopt);
    }
  }
  compiled_.push_back(std::move(c));
  return *(last_ = compiled_.back().get());
}

uint8_t ClassMatcher::Classify(const PacketRef& p) {
  const Compiled& c = ForLinkType(p.linktype);
  for (uint8_t i : order_)
    if (c.filters[i] && c.filters[i]->Matches(p)) return i;
  return kNoClass;
}

}  // namespace trove
