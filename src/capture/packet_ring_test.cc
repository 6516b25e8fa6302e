// Tests for capture/packet_ring.h. Record sizes are hand-computed from the
// layout (32-byte header + caplen, rounded up to 8) and the ring positions
// in the wrap-around tests are worked out in the comments. The two-thread
// stress test regenerates every packet's bytes from its sequence number on
// the consumer side, so any reordering, loss, duplication or torn copy is
// caught. Run it under ThreadSanitizer too (see the report / README):
//   g++ -std=c++20 -O1 -g -fsanitize=thread -Isrc src/capture/packet_ring.cc
//       src/capture/packet_ring_test.cc -lgtest -lgtest_main -pthread

#include "capture/packet_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace trove {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr uint64_t kStressPackets = 300'000;  // TSan is ~10x slower
#elif defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kStressPackets = 1'000'000;
#else
constexpr uint64_t kStressPackets = 2'000'000;
#endif

// Size the ring uses for one record: 32-byte header + data, multiple of 8.
constexpr size_t RecordSize(uint32_t caplen) { return (32 + size_t{caplen} + 7) / 8 * 8; }
// caplen whose record is exactly `record` bytes (record is a multiple of 8, >= 32).
constexpr uint32_t CaplenFor(size_t record) { return static_cast<uint32_t>(record - 32); }

static_assert(RecordSize(0) == 32);
static_assert(RecordSize(1) == 40);
static_assert(RecordSize(8) == 40);
static_assert(RecordSize(9) == 48);
static_assert(RecordSize(100) == 136);
static_assert(RecordSize(1514) == 1552);

uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A packet whose every field and byte is a function of `seq`.
struct Synth {
  std::vector<uint8_t> bytes;
  PacketRef ref;
};

void MakePacket(uint64_t seq, uint32_t caplen, Synth* out) {
  out->bytes.resize(caplen + 8);  // never empty, so data is never null
  uint64_t s = seq * 0x2545F4914F6CDD1DULL + 1;
  for (uint32_t i = 0; i < caplen; i += 8) {
    const uint64_t r = SplitMix(&s);
    std::memcpy(out->bytes.data() + i, &r, 8);
  }
  out->ref.ts_ns = static_cast<int64_t>(seq * 1000 + 7) * (seq % 2 ? -1 : 1);
  out->ref.caplen = caplen;
  out->ref.wirelen = caplen + static_cast<uint32_t>(seq % 1000);
  out->ref.linktype = static_cast<uint16_t>(seq * 7);
  out->ref.data = out->bytes.data();
}

void ExpectSame(const PacketRef& got, const PacketRef& want, const char* what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(got.ts_ns, want.ts_ns);
  EXPECT_EQ(got.caplen, want.caplen);
  EXPECT_EQ(got.wirelen, want.wirelen);
  EXPECT_EQ(got.linktype, want.linktype);
  ASSERT_NE(got.data, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(got.data) % 8, 0u) << "payload not 8-aligned";
  EXPECT_EQ(std::memcmp(got.data, want.data, want.caplen), 0) << "payload differs";
}

// Pushes a packet of `caplen` bytes (content from seq); returns TryPush's answer.
bool Push(PacketRing& r, uint64_t seq, uint32_t caplen, Synth* keep) {
  MakePacket(seq, caplen, keep);
  return r.TryPush(keep->ref);
}

// ---------------------------------------------------------- basics

TEST(PacketRing, CapacityRoundsUpToPowerOfTwoMin64KiB) {
  EXPECT_EQ(PacketRing(0).capacity(), 65536u);
  EXPECT_EQ(PacketRing(1000).capacity(), 65536u);
  EXPECT_EQ(PacketRing(65536).capacity(), 65536u);
  EXPECT_EQ(PacketRing(65537).capacity(), 131072u);
  EXPECT_EQ(PacketRing(100000).capacity(), 131072u);
  EXPECT_EQ(PacketRing(1u << 20).capacity(), 1u << 20);
}

TEST(PacketRing, EmptyRing) {
  PacketRing r(0);
  PacketRef p;
  EXPECT_FALSE(r.Peek(&p));
  r.Pop();  // nothing peeked: no effect
  EXPECT_EQ(r.Used(), 0u);
  EXPECT_FALSE(r.Peek(&p));
  EXPECT_FALSE(r.Closed());
}

TEST(PacketRing, PushPeekPopPreservesBytesAndHeaders) {
  PacketRing r(0);
  const uint32_t sizes[] = {0, 1, 7, 8, 9, 60, 100, 1514, 9000};
  std::vector<Synth> pk(std::size(sizes));
  size_t used = 0;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    ASSERT_TRUE(Push(r, i + 1, sizes[i], &pk[i])) << i;
    used += RecordSize(sizes[i]);
    EXPECT_EQ(r.Used(), used);
  }
  // 32+40+40+40+48+96+136+1552+9032
  EXPECT_EQ(used, 11016u);
  for (size_t i = 0; i < std::size(sizes); ++i) {
    PacketRef a, b;
    ASSERT_TRUE(r.Peek(&a)) << i;
    ASSERT_TRUE(r.Peek(&b)) << i;  // peeking again returns the same record
    EXPECT_EQ(a.data, b.data);
    ExpectSame(a, pk[i].ref, "first peek");
    r.Pop();
    used -= RecordSize(sizes[i]);
    EXPECT_EQ(r.Used(), used);
  }
  PacketRef p;
  EXPECT_FALSE(r.Peek(&p));
}

TEST(PacketRing, RingOwnsItsCopy) {
  PacketRing r(0);
  Synth s;
  ASSERT_TRUE(Push(r, 42, 64, &s));
  std::vector<uint8_t> want(s.bytes.begin(), s.bytes.begin() + 64);
  std::memset(s.bytes.data(), 0xEE, s.bytes.size());  // the producer reuses its buffer
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  ASSERT_EQ(p.caplen, 64u);
  EXPECT_EQ(std::memcmp(p.data, want.data(), 64), 0);
}

TEST(PacketRing, ExtremeHeaderValues) {
  PacketRing r(0);
  uint8_t byte = 0x5A;
  PacketRef in;
  in.ts_ns = std::numeric_limits<int64_t>::min();
  in.caplen = 1;
  in.wirelen = std::numeric_limits<uint32_t>::max();
  in.linktype = 0xFFFF;
  in.data = &byte;
  ASSERT_TRUE(r.TryPush(in));
  in.ts_ns = std::numeric_limits<int64_t>::max();
  in.wirelen = 0;
  in.linktype = 0;
  ASSERT_TRUE(r.TryPush(in));
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  EXPECT_EQ(p.ts_ns, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(p.wirelen, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(p.linktype, 0xFFFF);
  EXPECT_EQ(p.data[0], 0x5A);
  r.Pop();
  ASSERT_TRUE(r.Peek(&p));
  EXPECT_EQ(p.ts_ns, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(p.wirelen, 0u);
  EXPECT_EQ(p.linktype, 0);
}

TEST(PacketRing, CarriesTheInterfacePointer) {
  PacketRing r(0);
  PacketInterface eth1;
  eth1.name = "eth1";
  Synth a, b;
  ASSERT_TRUE(Push(r, 1, 60, &a));
  uint8_t bytes[4] = {1, 2, 3, 4};
  PacketRef with;
  with.caplen = with.wirelen = 4;
  with.data = bytes;
  with.iface = &eth1;
  ASSERT_TRUE(r.TryPush(with));
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  EXPECT_EQ(p.iface, nullptr);
  r.Pop();
  ASSERT_TRUE(r.Peek(&p));
  EXPECT_EQ(p.iface, &eth1);
  EXPECT_EQ(p.caplen, 4u);
}

// ------------------------------------------------------ wrap-around

TEST(PacketRing, WrapAroundWritesAPadRecord) {
  // cap 65536. A1 = 32768 bytes at [0, 32768), A2 = 24576 at [32768, 57344).
  // After popping A1, B = 16384 bytes does not fit in the 8192 bytes left
  // before the end: an 8192-byte pad fills [57344, 65536) and B goes to
  // [0, 16384). In flight: 24576 + 8192 + 16384 = 49152 <= 65536.
  PacketRing r(0);
  ASSERT_EQ(r.capacity(), 65536u);
  Synth a1, a2, b;
  ASSERT_TRUE(Push(r, 1, CaplenFor(32768), &a1));
  ASSERT_TRUE(Push(r, 2, CaplenFor(24576), &a2));
  EXPECT_EQ(r.Used(), 57344u);
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, a1.ref, "A1");
  r.Pop();
  EXPECT_EQ(r.Used(), 24576u);
  ASSERT_TRUE(Push(r, 3, CaplenFor(16384), &b));
  EXPECT_EQ(r.Used(), 24576u + 8192u + 16384u);  // the pad counts until skipped
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, a2.ref, "A2");
  const uint8_t* a2_data = p.data;
  r.Pop();
  EXPECT_EQ(r.Used(), 8192u + 16384u);
  ASSERT_TRUE(r.Peek(&p));  // skips the pad
  ExpectSame(p, b.ref, "B after the pad");
  EXPECT_EQ(r.Used(), 16384u);
  // B sits at the start of the buffer, A2 at 32768 (both after a 32-byte header).
  EXPECT_EQ(a2_data - p.data, 32768);
  r.Pop();
  EXPECT_EQ(r.Used(), 0u);
  EXPECT_FALSE(r.Peek(&p));
}

TEST(PacketRing, PadPathFullRingRefusesAndCopiesNothing) {
  // A1 = A2 = 16384 at [0, 32768), A3 = 24576 at [32768, 57344). Pop A1:
  // free = 65536 - 40960 = 24576, but only 16384 of it is contiguous at the
  // start. A 16392-byte record needs 8192 (pad) + 16392 = 24584 > 24576.
  PacketRing r(0);
  Synth a1, a2, a3, big, fit;
  ASSERT_TRUE(Push(r, 1, CaplenFor(16384), &a1));
  ASSERT_TRUE(Push(r, 2, CaplenFor(16384), &a2));
  ASSERT_TRUE(Push(r, 3, CaplenFor(24576), &a3));
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  r.Pop();
  EXPECT_EQ(r.Used(), 40960u);
  EXPECT_FALSE(Push(r, 4, CaplenFor(16392), &big));
  EXPECT_EQ(r.Used(), 40960u);  // nothing reserved
  // Exactly the room left (pad 8192 + 16384) still fits.
  ASSERT_TRUE(Push(r, 5, CaplenFor(16384), &fit));
  EXPECT_EQ(r.Used(), 65536u);
  EXPECT_FALSE(Push(r, 6, 0, &big));  // completely full now
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, a2.ref, "A2");
  r.Pop();
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, a3.ref, "A3");
  r.Pop();
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, fit.ref, "fit");
  r.Pop();
  EXPECT_FALSE(r.Peek(&p));
  EXPECT_EQ(r.Used(), 0u);
}

TEST(PacketRing, RecordEndingExactlyAtTheBufferEndNeedsNoPad) {
  // 8 records of 8192 bytes fill the 65536-byte ring exactly.
  PacketRing r(0);
  std::vector<Synth> pk(9);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(Push(r, i, CaplenFor(8192), &pk[i])) << i;
  EXPECT_EQ(r.Used(), 65536u);
  Synth extra;
  EXPECT_FALSE(Push(r, 99, 0, &extra));  // even 24 bytes do not fit
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, pk[0].ref, "0");
  r.Pop();
  // The ninth goes to [0, 8192) with no pad: Used grows by exactly 8192.
  ASSERT_TRUE(Push(r, 8, CaplenFor(8192), &pk[8]));
  EXPECT_EQ(r.Used(), 65536u);
  for (int i = 1; i < 9; ++i) {
    ASSERT_TRUE(r.Peek(&p)) << i;
    ExpectSame(p, pk[i].ref, "in order");
    r.Pop();
  }
  EXPECT_EQ(r.Used(), 0u);
}

TEST(PacketRing, SmallestPadIsEightBytes) {
  // 65536 - 8 = 65528 bytes of records leave exactly 8 bytes before the end:
  // too few for a 32-byte header, so the next record pads 8 bytes.
  PacketRing r(0);
  std::vector<Synth> pk(4);
  ASSERT_TRUE(Push(r, 0, CaplenFor(32768), &pk[0]));
  ASSERT_TRUE(Push(r, 1, CaplenFor(32760), &pk[1]));  // ends at 65528
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  r.Pop();                             // tail 32768
  ASSERT_TRUE(Push(r, 2, 0, &pk[2]));  // 32 bytes: pad 8 + record at 0
  EXPECT_EQ(r.Used(), 32760u + 8u + 32u);
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, pk[1].ref, "1");
  r.Pop();
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, pk[2].ref, "2 after an 8-byte pad");
  r.Pop();
  EXPECT_EQ(r.Used(), 0u);
}

// ----------------------------------------------------- size limits

TEST(PacketRing, PacketLargerThanHalfTheRingIsRefused) {
  PacketRing r(0);  // cap 65536, cap/2 = 32768
  Synth s;
  EXPECT_FALSE(Push(r, 1, CaplenFor(32768) + 1, &s));  // record 32776
  EXPECT_EQ(r.Used(), 0u);
  ASSERT_TRUE(Push(r, 2, CaplenFor(32768), &s));  // exactly half: accepted
  PacketRef p;
  ASSERT_TRUE(r.Peek(&p));
  ExpectSame(p, s.ref, "half");
  r.Pop();
  // An absurd caplen is refused without reading the data or overflowing.
  uint8_t one = 1;
  PacketRef huge;
  huge.caplen = std::numeric_limits<uint32_t>::max();
  huge.data = &one;
  EXPECT_FALSE(r.TryPush(huge));
  EXPECT_EQ(r.Used(), 0u);
  // Scales with the capacity.
  PacketRing big(1 << 20);
  Synth j;
  ASSERT_TRUE(Push(big, 3, 65535, &j));
  ASSERT_TRUE(big.Peek(&p));
  ExpectSame(p, j.ref, "64 KiB packet in a 1 MiB ring");
}

TEST(PacketRing, EmptyRingAlwaysTakesAHalfRingRecordWhereverTheHeadIs) {
  // The cap/2 limit exists so that an empty ring can always take any
  // accepted record, whatever the pad costs.
  PacketRing r(0);
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> sz(0, CaplenFor(32768));
  Synth s, h;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(Push(r, i, sz(rng), &s)) << i;
    PacketRef p;
    ASSERT_TRUE(r.Peek(&p));
    r.Pop();
    ASSERT_EQ(r.Used(), 0u);
    ASSERT_TRUE(Push(r, 100000 + i, CaplenFor(32768), &h)) << i;
    ASSERT_TRUE(r.Peek(&p));
    ExpectSame(p, h.ref, "half-ring record");
    r.Pop();
  }
}

// ----------------------------------------------------------- Close

TEST(PacketRing, CloseLetsTheConsumerDrain) {
  PacketRing r(0);
  std::vector<Synth> pk(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Push(r, i, 100 + i, &pk[i]));
  EXPECT_FALSE(r.Closed());
  r.Close();
  EXPECT_TRUE(r.Closed());
  // Closing does not drop what is queued.
  PacketRef p;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(r.Peek(&p));
    ExpectSame(p, pk[i].ref, "after Close");
    r.Pop();
  }
  EXPECT_FALSE(r.Peek(&p));
  EXPECT_TRUE(r.Closed());
  r.Close();  // idempotent
  EXPECT_TRUE(r.Closed());
}

// ------------------------------------------------------ two threads

uint32_t StressCaplen(uint64_t seq) {
  uint64_t s = seq ^ 0xA5A5A5A5ULL;
  return static_cast<uint32_t>(SplitMix(&s) % 1601);  // 0..1600
}

// Checksum of [12, caplen): word-wise, so checking 2M packets stays cheap.
uint32_t StressChecksum(const uint8_t* d, uint32_t caplen) {
  uint64_t acc = 0x243F6A8885A308D3ULL;
  uint32_t i = 12;
  for (; i + 8 <= caplen; i += 8) {
    uint64_t w;
    std::memcpy(&w, d + i, 8);
    acc = (acc ^ w) * 0x100000001B3ULL;
  }
  for (; i < caplen; ++i) acc = (acc ^ d[i]) * 0x100000001B3ULL;
  return static_cast<uint32_t>(acc ^ (acc >> 32));
}

// Bytes: [0,8) seq, [8,12) checksum of [12, caplen), then pseudo-random.
// Short packets carry a prefix of the same layout.
void FillStress(uint64_t seq, uint32_t caplen, std::vector<uint8_t>* buf) {
  buf->resize(caplen + 16);
  uint8_t* d = buf->data();
  uint64_t s = seq * 0x9E3779B97F4A7C15ULL;
  for (uint32_t i = 12; i < caplen; i += 8) {
    const uint64_t r = SplitMix(&s);
    std::memcpy(d + i, &r, 8);
  }
  const uint32_t sum = StressChecksum(d, caplen);
  uint8_t head[12];
  std::memcpy(head, &seq, 8);
  std::memcpy(head + 8, &sum, 4);
  std::memcpy(d, head, std::min<uint32_t>(caplen, 12));
}

TEST(PacketRingStress, TwoThreadsTransferEveryPacketInOrder) {
  PacketRing r(1 << 20);  // ~1300 packets per lap: ~1500 wrap-arounds
  const uint64_t n = kStressPackets;
  std::atomic<uint64_t> producer_full_spins{0};
  std::thread producer([&] {
    std::vector<uint8_t> buf;
    uint64_t spins = 0;
    for (uint64_t seq = 0; seq < n; ++seq) {
      const uint32_t caplen = StressCaplen(seq);
      FillStress(seq, caplen, &buf);
      PacketRef p;
      p.ts_ns = static_cast<int64_t>(seq);
      p.caplen = caplen;
      p.wirelen = caplen + static_cast<uint32_t>(seq & 0xFF);
      p.linktype = static_cast<uint16_t>(seq % 300);
      p.data = buf.data();
      while (!r.TryPush(p)) {
        ++spins;
        std::this_thread::yield();
      }
    }
    producer_full_spins = spins;
    r.Close();
  });

  uint64_t expect = 0, bad = 0, bytes = 0;
  std::vector<uint8_t> want;
  std::string first_error;
  for (;;) {
    const bool closed = r.Closed();  // read before Peek: no packet can be missed
    PacketRef p;
    if (!r.Peek(&p)) {
      if (closed) break;
      std::this_thread::yield();
      continue;
    }
    const uint64_t seq = expect++;
    const uint32_t caplen = StressCaplen(seq);
    bool ok = p.ts_ns == static_cast<int64_t>(seq) && p.caplen == caplen &&
              p.wirelen == caplen + (seq & 0xFF) && p.linktype == seq % 300;
    if (ok && caplen >= 12) {
      // The embedded sequence number and checksum, read from the ring.
      uint64_t s;
      uint32_t sum;
      std::memcpy(&s, p.data, 8);
      std::memcpy(&sum, p.data + 8, 4);
      ok = s == seq && sum == StressChecksum(p.data, caplen);
    }
    if (ok) {
      FillStress(seq, caplen, &want);
      ok = std::memcmp(p.data, want.data(), caplen) == 0;
    }
    if (!ok && bad++ == 0)
      first_error = "packet " + std::to_string(seq) + ": ts " + std::to_string(p.ts_ns) +
                    " caplen " + std::to_string(p.caplen) + " (want " + std::to_string(caplen) +
                    ")";
    bytes += p.caplen;
    r.Pop();
  }
  producer.join();
  EXPECT_EQ(bad, 0u) << first_error;
  EXPECT_EQ(expect, n);
  EXPECT_EQ(r.Used(), 0u);
  PacketRef p;
  EXPECT_FALSE(r.Peek(&p));
  // Mean caplen is 800: the data really went through the ring many times.
  EXPECT_GT(bytes, n * 700);
  RecordProperty("producer_full_spins", std::to_string(producer_full_spins.load()));
}

}  // namespace
}  // namespace trove
