#include "plan/size_ccdf.h"

#include <algorithm>
#include <cmath>

namespace trove {

SizeDistribution::SizeDistribution(std::vector<uint64_t> sizes) : sorted_(std::move(sizes)) {
  std::sort(sorted_.begin(), sorted_.end());
}

std::vector<CcdfPoint> SizeDistribution::Ccdf() const {
  std::vector<CcdfPoint> out;
  const double n = static_cast<double>(sorted_.size());
  for (size_t i = 0; i < sorted_.size();) {
    size_t j = i;
    while (j < sorted_.size() && sorted_[j] == sorted_[i]) ++j;
    out.push_back({sorted_[i], static_cast<double>(sorted_.size() - j) / n});
    i = j;
  }
  return out;
}

double SizeDistribution::FractionGreater(uint64_t x) const {
  if (sorted_.empty()) return 0;
  auto it = std::upper_bound(sorted_.begin(), sorted_.end(), x);
  return static_cast<double>(sorted_.end() - it) / static_cast<double>(sorted_.size());
}

uint64_t SizeDistribution::Quantile(double q) const {
  if (sorted_.empty()) return 0;
  const double n = static_cast<double>(sorted_.size());
  size_t rank = static_cast<size_t>(std::ceil(q * n - 1e-9));
  rank = std::clamp<size_t>(rank, 1, sorted_.size());
  return sorted_[rank - 1];
}

}  // namespace trove
