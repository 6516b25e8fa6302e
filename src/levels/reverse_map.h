#pragma once
// Reverse maps: the (original -> pseudonym) pairs of the addresses inside
// registered owner prefixes, recorded while a scrambled level is derived so
// an owner can unmask pseudonyms of its own address space (`trove unmask`).
// Addresses outside every owner prefix are never recorded.
//
// One file per level and IP key epoch: KEYDIR/reverse/LEVEL-EPOCH.map, mode
// 0600, append-only. Each record is independently sealed with AES-256-GCM
// under DeriveKey(master, "reverse", LEVEL, EPOCH):
//
//   u16 LE n | 12-byte random nonce | ciphertext (33 bytes) | 16-byte tag
//   (n = 12 + 33 + 16 = 61)
//   plaintext: family (4 or 6) | original (16 bytes, IPv4 zero-padded)
//              | pseudonym (16 bytes)
//   AAD: "trove-reverse-v1/LEVEL/EPOCH"
//
// A record cut short by a crash is dropped (the file is truncated to its
// last complete record when it is opened for appending). A record that fails
// authentication makes reading fail (Corruption): the map was tampered with
// or belongs to another key.
// Not thread-safe; one writer per (level, epoch) at a time (the link lock of
// the ingesting process; several links may race: appends are O_APPEND
// records of one write each, so they interleave whole).

#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "anon/secret_bytes.h"
#include "util/status.h"

namespace trove {

struct ReverseEntry {
  int family = 4;
  std::array<uint8_t, 16> original{};
  std::array<uint8_t, 16> pseudonym{};
  auto operator<=>(const ReverseEntry&) const = default;
};

std::string ReverseMapPath(const std::string& dir, const std::string& level,
                           const std::string& epoch);

// All records of a map; an absent file yields no entries.
Result<std::vector<ReverseEntry>> ReadReverseMap(const std::string& path,
                                                 std::span<const uint8_t> master,
                                                 const std::string& level,
                                                 const std::string& epoch);

class ReverseMapWriter {
 public:
  // Creates DIR (0700) and the file (0600) if needed; loads existing
  // entries so nothing is recorded twice.
  static Result<std::unique_ptr<ReverseMapWriter>> Open(const std::string& dir,
                                                        std::span<const uint8_t> master,
                                                        const std::string& level,
                                                        const std::string& epoch);
  ~ReverseMapWriter();
  ReverseMapWriter(const ReverseMapWriter&) = delete;
  ReverseMapWriter& operator=(const ReverseMapWriter&) = delete;

  // Buffers a pair (no-op when already recorded).
  void Add(int family, const uint8_t* original, const uint8_t* pseudonym);
  // Appends the buffered records and fsyncs.
  Status Flush();
  size_t size() const { return known_.size(); }

 private:
  ReverseMapWriter() = default;
  int fd_ = -1;
  std::string path_, aad_;
  SecretBytes key_;
  std::set<ReverseEntry> known_;
  std::vector<uint8_t> pending_;
};

}  // namespace trove
