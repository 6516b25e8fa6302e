#include "capture/merged_source.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace trove {
namespace {

// A scripted input: packets with these timestamps (one byte each, the byte
// naming the input), then the end or an error at the packet `fail_at`.
struct Script {
  std::vector<int64_t> ts;
  size_t fail_at = SIZE_MAX;
  bool cannot_open = false;
};

class ScriptSource final : public PacketSource {
 public:
  ScriptSource(std::string name, const Script& s, uint8_t id, int* open_now)
      : name_(std::move(name)), s_(s), id_(id), open_now_(open_now) {
    ++*open_now_;
  }
  ~ScriptSource() override { --*open_now_; }
  ReadResult Read(PacketRef* out) override {
    if (next_ == s_.fail_at) {
      error_ = Status::Corruption(name_ + ": offset " + std::to_string(24 + 17 * next_) + ": bad");
      return ReadResult::kError;
    }
    if (next_ >= s_.ts.size()) return ReadResult::kEnd;
    byte_ = id_;
    out->ts_ns = s_.ts[next_++];
    out->caplen = out->wirelen = 1;
    out->linktype = 1;
    out->data = &byte_;
    return ReadResult::kPacket;
  }
  const Status& error() const override { return error_; }
  KernelStats Stats() override { return {}; }
  uint64_t BytesConsumed() const override { return 24 + 17 * next_; }
  uint64_t BytesTotal() const override { return 24 + 17 * s_.ts.size(); }
  const std::string& name() const override { return name_; }
  uint16_t linktype() const override { return 1; }
  bool live() const override { return false; }

 private:
  std::string name_;
  Script s_;
  uint8_t id_, byte_ = 0;
  int* open_now_;
  size_t next_ = 0;
  Status error_;
};

struct Fixture {
  std::map<std::string, Script> scripts;
  int open_now = 0, open_max = 0, opens = 0;
  MergedSource::Opener Opener() {
    return [this](const std::string& name) -> Result<std::unique_ptr<PacketSource>> {
      const Script& s = scripts.at(name);
      if (s.cannot_open) return Status::NotFound(name + ": no such file");
      ++opens;
      auto src = std::make_unique<ScriptSource>(name, s, static_cast<uint8_t>(name[0]), &open_now);
      open_max = std::max(open_max, open_now);
      return std::unique_ptr<PacketSource>(std::move(src));
    };
  }
};

// (input letter, ts) in the order read; checks each packet's bytes while
// it is current (valid until the next Read).
std::vector<std::pair<char, int64_t>> Drain(MergedSource& m) {
  std::vector<std::pair<char, int64_t>> out;
  PacketRef p;
  while (m.Read(&p) == PacketSource::ReadResult::kPacket) {
    EXPECT_EQ(static_cast<char>(p.data[0]), m.inputs()[m.last_input()].name[0]);
    out.emplace_back(static_cast<char>(p.data[0]), p.ts_ns);
  }
  return out;
}

TEST(MergedSource, SmallestTimestampFirstTiesByInputOrder) {
  Fixture f;
  f.scripts["a"] = {{1, 5, 5, 9}};
  f.scripts["b"] = {{2, 5, 8, 20}};
  f.scripts["c"] = {{5}};
  MergedSource m({"b", "a", "c"}, f.Opener());
  // Hand-merged as mergecap does: ties at 5 go to b (named first), then a, then c.
  std::vector<std::pair<char, int64_t>> want = {{'a', 1}, {'b', 2}, {'b', 5}, {'a', 5},
                                                {'a', 5}, {'c', 5}, {'b', 8}, {'a', 9},
                                                {'b', 20}};
  EXPECT_EQ(Drain(m), want);
  EXPECT_EQ(m.inputs()[0].packets, 4u);
  EXPECT_EQ(m.inputs()[1].packets, 4u);
  EXPECT_EQ(m.inputs()[2].packets, 1u);
  EXPECT_EQ(m.BytesConsumed(), m.BytesTotal());
  EXPECT_EQ(m.BytesTotal(), 3 * 24u + 9 * 17u);
  EXPECT_EQ(m.deferred(), 0u);
}

TEST(MergedSource, InputGoingBackwardsIsMergedByItsCurrentPacket) {
  // mergecap compares the inputs' current packets only.
  Fixture f;
  f.scripts["a"] = {{10, 3, 11}};
  f.scripts["b"] = {{4, 12}};
  MergedSource m({"a", "b"}, f.Opener());
  std::vector<std::pair<char, int64_t>> want = {{'b', 4}, {'a', 10}, {'a', 3}, {'a', 11},
                                                {'b', 12}};
  EXPECT_EQ(Drain(m), want);
}

TEST(MergedSource, ErrorsEndOneInputOnly) {
  Fixture f;
  f.scripts["a"] = {{1, 3, 5, 7}, 2};  // records 0, 1 readable, then a bad record
  f.scripts["b"] = {{2, 4, 6}};
  f.scripts["c"] = {{}, SIZE_MAX, true};  // cannot be opened
  f.scripts["d"] = {{}, 0};               // bad first record
  MergedSource m({"a", "b", "c", "d"}, f.Opener());
  std::vector<std::pair<char, int64_t>> want = {{'a', 1}, {'b', 2}, {'a', 3}, {'b', 4}, {'b', 6}};
  EXPECT_EQ(Drain(m), want);
  EXPECT_EQ(m.inputs()[0].packets, 2u);
  EXPECT_NE(m.inputs()[0].error.message().find("a: offset 58"), std::string::npos)
      << m.inputs()[0].error.message();
  EXPECT_TRUE(m.inputs()[1].error.ok());
  EXPECT_NE(m.inputs()[2].error.message().find("c: no such file"), std::string::npos);
  EXPECT_NE(m.inputs()[3].error.message().find("d: offset 24"), std::string::npos);
  for (const auto& in : m.inputs()) EXPECT_TRUE(in.done) << in.name;
  EXPECT_EQ(m.error().ok(), true);
  EXPECT_EQ(f.open_now, 0);
}

TEST(MergedSource, EmptyInputsAndNoInputs) {
  Fixture f;
  f.scripts["a"] = {{}};
  f.scripts["b"] = {{7}};
  MergedSource m({"a", "b"}, f.Opener());
  std::vector<std::pair<char, int64_t>> want = {{'b', 7}};
  EXPECT_EQ(Drain(m), want);
  EXPECT_TRUE(m.inputs()[0].error.ok());
  EXPECT_EQ(m.inputs()[0].packets, 0u);
  MergedSource none({}, f.Opener());
  PacketRef p;
  EXPECT_EQ(none.Read(&p), PacketSource::ReadResult::kEnd);
}

TEST(MergedSource, RotatedFilesHoldFewHandles) {
  // 200 consecutive files given newest first: more inputs than handles, so
  // each is opened when the merge reaches it and closed at its end; the
  // output is still in time order and one handle is open at a time.
  Fixture f;
  std::vector<std::string> names;
  for (int i = 199; i >= 0; --i) {
    std::string n = std::string("f").append(std::to_string(i));  // GCC bug 105329 at -O3
    f.scripts[n] = {{i * 10, i * 10 + 1, i * 10 + 2}};
    names.push_back(n);
  }
  MergedSource m(names, f.Opener(), 8);
  PacketRef p;
  int64_t prev = -1;
  size_t n = 0;
  while (m.Read(&p) == PacketSource::ReadResult::kPacket) {
    EXPECT_GT(p.ts_ns, prev);
    prev = p.ts_ns;
    ++n;
  }
  EXPECT_EQ(n, 600u);
  EXPECT_EQ(f.open_max, 1);
  EXPECT_EQ(m.deferred(), 0u);
  EXPECT_EQ(f.open_now, 0);
}

TEST(MergedSource, MoreOverlappingInputsThanHandlesAreDeferredNotLost) {
  Fixture f;
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) {
    std::string n = std::string("g").append(std::to_string(i));  // GCC bug 105329 at -O3
    f.scripts[n] = {{i, 100 + i}};
    names.push_back(n);
  }
  MergedSource m(names, f.Opener(), 4);
  auto got = Drain(m);
  EXPECT_EQ(got.size(), 12u);
  EXPECT_LE(f.open_max, 4);
  EXPECT_EQ(m.deferred(), 2u);
  // The deferred inputs (g4, g5) come after an input closed: later than
  // mergecap would put them, but every packet is delivered once.
  std::multiset<int64_t> ts;
  for (auto& [c, t] : got) ts.insert(t);
  EXPECT_EQ(ts, (std::multiset<int64_t>{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105}));
  EXPECT_EQ(got[4].second, 100);  // g0's second packet before g4's first
}

}  // namespace
}  // namespace trove
