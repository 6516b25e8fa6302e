#pragma once
// Application payloads for `trove synth` (internal header).
// Contract: everything here produces wire-format bytes that Wireshark
// dissects without errors: TLS 1.3 ClientHello/ServerHello + encrypted
// records, HTTP/1.1 with exact Content-Length, SMTP, SSH-2 key exchange
// (banner, KEXINIT, ECDH, NEWKEYS) then encrypted packets, DNS (with EDNS,
// CNAME chains and NXDOMAIN + SOA), NTPv4 and Linux-ping ICMP payloads.
// Bulk bodies come from 1 MiB pools (random bytes, or base64 text lines for
// SMTP) generated once from the seed, so a segment's payload is a memcpy.
// A Message is one application write in one direction: head + body + tail;
// Copy() renders any byte range of it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "synth/rng.h"

namespace trove::synth {

enum class BodyKind : uint8_t { kNone, kBinary, kText, kTlsRecords };

struct Message {
  bool from_server = false;
  std::string head;
  uint64_t body_len = 0;
  BodyKind kind = BodyKind::kNone;
  uint64_t pool_base = 0;
  std::string tail;
  uint64_t size() const { return head.size() + body_len + tail.size(); }
};

class ContentPools {
 public:
  explicit ContentPools(uint64_t seed);
  // Writes bytes [off, off + n) of m to dst; off + n <= m.size().
  void Copy(const Message& m, uint64_t off, size_t n, uint8_t* dst) const;
  // A random body start for the kind (text bodies start on a line).
  uint64_t RandomBase(Rng& rng, BodyKind kind) const;
  // Random base64 characters (for cookies and the like).
  void Base64Chars(Rng& rng, size_t n, std::string* out) const;

 private:
  void CopyPool(const std::vector<uint8_t>& pool, uint64_t pos, size_t n, uint8_t* dst) const;
  std::vector<uint8_t> binary_;
  std::vector<uint8_t> text_;
};

// --- TLS 1.3 -------------------------------------------------------------
// Encrypted records are 5-byte headers + up to 16401 bytes, back to back.
inline constexpr uint64_t kTlsRecordStride = 5 + 16401;
// The smallest body length >= want whose last record holds >= 17 bytes.
uint64_t TlsBodyLen(uint64_t want);
// `resume`: PSK resumption (pre_shared_key extension, no certificate).
std::string TlsClientHello(Rng& rng, std::string_view sni, bool alpn_h2, bool resume);
// ServerHello (echoing the ClientHello's session id) + ChangeCipherSpec.
std::string TlsServerHello(Rng& rng, std::string_view client_hello, bool resume);
std::string TlsChangeCipherSpec();

// --- HTTP/1.1 ------------------------------------------------------------
// A request of about `want` bytes (GET padded with a cookie, or POST with a
// body when larger); *body_len receives the POST body size.
std::string HttpRequestHead(Rng& rng, const ContentPools& pools, std::string_view host,
                            uint64_t want, uint64_t* body_len);
std::string HttpResponseHead(uint64_t ts_ns, uint64_t body_len);
// RFC 7231 IMF-fixdate, e.g. "Thu, 01 Jan 2026 00:00:00 GMT".
std::string HttpDate(uint64_t ts_ns);

// --- SSH-2 ---------------------------------------------------------------
std::string SshBanner(bool server);
std::string SshPacket(Rng& rng, std::string_view payload);  // unencrypted framing
std::string SshKexInit(Rng& rng, bool server);
std::string SshEcdhInit(Rng& rng);
std::string SshEcdhReply(Rng& rng);
std::string SshNewKeys(Rng& rng);

// --- DNS -----------------------------------------------------------------
inline constexpr uint16_t kDnsA = 1, kDnsAAAA = 28;
std::string DnsQuery(uint16_t id, std::string_view name, uint16_t qtype);
struct DnsAnswer {
  bool nxdomain = false;
  std::string cname;  // optional alias target
  uint32_t ttl = 300;
  std::vector<std::string> addrs;  // 4 or 16 raw bytes each
  std::string zone;                // for the NXDOMAIN SOA
};
std::string DnsResponse(uint16_t id, std::string_view name, uint16_t qtype, const DnsAnswer& a);

// --- NTP / ICMP ----------------------------------------------------------
inline constexpr size_t kNtpLen = 48;
void NtpRequest(uint8_t* out, uint64_t ts_ns);
void NtpResponse(uint8_t* out, const uint8_t* request, uint64_t recv_ns, uint64_t xmit_ns,
                 uint32_t refid);
inline constexpr size_t kPingPayload = 56;
void PingPayload(uint8_t* out, uint64_t ts_ns);  // Linux ping: timeval + 0x10.. pattern

}  // namespace trove::synth
