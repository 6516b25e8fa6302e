#include "catalog/segment_record.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

// The spellings are stored in catalogues: pin them.
TEST(SegmentRecord, EnumSpellingsArePinned) {
  EXPECT_STREQ(ToString(StorageArea::kPrimary), "primary");
  EXPECT_STREQ(ToString(StorageArea::kSpool), "spool");
  EXPECT_STREQ(ToString(SegmentState::kStored), "stored");
  EXPECT_STREQ(ToString(SegmentState::kExpired), "expired");
  EXPECT_STREQ(ToString(SegmentState::kMissing), "missing");
}

TEST(SegmentRecord, ParseRoundTripsAndRejectsUnknown) {
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    StorageArea got = a == StorageArea::kPrimary ? StorageArea::kSpool : StorageArea::kPrimary;
    ASSERT_TRUE(ParseStorageArea(ToString(a), &got));
    EXPECT_EQ(got, a);
  }
  for (SegmentState s : {SegmentState::kStored, SegmentState::kExpired, SegmentState::kMissing}) {
    SegmentState got = s == SegmentState::kStored ? SegmentState::kMissing : SegmentState::kStored;
    ASSERT_TRUE(ParseSegmentState(ToString(s), &got));
    EXPECT_EQ(got, s);
  }
  StorageArea a = StorageArea::kSpool;
  SegmentState s = SegmentState::kExpired;
  for (const char* bad : {"", "Primary", "primary ", "PRIMARY", "stored", "unknown"}) {
    EXPECT_FALSE(ParseStorageArea(bad, &a)) << bad;
  }
  for (const char* bad : {"", "Stored", "stored\n", "spool", "unknown"}) {
    EXPECT_FALSE(ParseSegmentState(bad, &s)) << bad;
  }
  EXPECT_EQ(a, StorageArea::kSpool);  // untouched on failure
  EXPECT_EQ(s, SegmentState::kExpired);
}

TEST(SegmentRecord, Duration) {
  SegmentRecord r;
  r.stats.first_ts_ns = 1'000;
  r.stats.last_ts_ns = 3'500;
  EXPECT_EQ(r.duration_ns(), 2'500);
}

}  // namespace
}  // namespace trove
