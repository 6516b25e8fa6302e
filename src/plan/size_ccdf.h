#pragma once
// The complementary CDF of connection sizes, P[size > x], the heavy tail
// the cutoff exploits. One point per distinct size x (ascending), with
// P[size > x] = (number of sizes > x) / n. Quantile q (0 < q <= 1) is the
// nearest rank: the smallest size x with P[size <= x] >= q, i.e. the
// ceil(q*n)-th smallest. Pure functions; thread-safe.

#include <cstdint>
#include <vector>

namespace trove {

struct CcdfPoint {
  uint64_t size = 0;
  double p_greater = 0;
};

class SizeDistribution {
 public:
  explicit SizeDistribution(std::vector<uint64_t> sizes);

  uint64_t count() const { return sorted_.size(); }
  std::vector<CcdfPoint> Ccdf() const;
  double FractionGreater(uint64_t x) const;  // P[size > x]; 0 when empty
  uint64_t Quantile(double q) const;          // 0 when empty

 private:
  std::vector<uint64_t> sorted_;
};

}  // namespace trove
