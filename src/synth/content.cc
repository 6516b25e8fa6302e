#include "synth/content.h"

#include <algorithm>
#include <cstring>

namespace trove::synth {
namespace {

constexpr size_t kPoolSize = 1 << 20;
constexpr size_t kTextLine = 78;  // 76 base64 characters + CRLF
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void U8(std::string& s, uint64_t v) { s.push_back(static_cast<char>(v & 0xFF)); }
void U16(std::string& s, uint64_t v) {
  U8(s, v >> 8);
  U8(s, v);
}
void U24(std::string& s, uint64_t v) {
  U8(s, v >> 16);
  U16(s, v);
}
void U32(std::string& s, uint64_t v) {
  U16(s, v >> 16);
  U16(s, v);
}
void Set16(std::string& s, size_t at, uint64_t v) {
  s[at] = static_cast<char>((v >> 8) & 0xFF);
  s[at + 1] = static_cast<char>(v & 0xFF);
}
void RandomBytes(Rng& rng, std::string& s, size_t n) {
  const size_t at = s.size();
  s.resize(at + n);
  rng.Fill(reinterpret_cast<uint8_t*>(s.data() + at), n);
}
void SshString(std::string& s, std::string_view v) {
  U32(s, v.size());
  s.append(v);
}

// Days since 1970-01-01 to (y, m, d) (Howard Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

}  // namespace

ContentPools::ContentPools(uint64_t seed) : binary_(kPoolSize), text_() {
  Rng rng(seed, 0xC0DE);
  rng.Fill(binary_.data(), binary_.size());
  const size_t lines = kPoolSize / kTextLine;
  text_.resize(lines * kTextLine);
  for (size_t l = 0; l < lines; ++l) {
    uint8_t* p = text_.data() + l * kTextLine;
    for (size_t i = 0; i < 76; ++i) p[i] = static_cast<uint8_t>(kB64[rng.Next() >> 58]);
    p[76] = '\r';
    p[77] = '\n';
  }
}

uint64_t ContentPools::RandomBase(Rng& rng, BodyKind kind) const {
  if (kind == BodyKind::kText) return rng.Below(text_.size() / kTextLine) * kTextLine;
  return rng.Below(binary_.size());
}

void ContentPools::Base64Chars(Rng& rng, size_t n, std::string* out) const {
  const size_t at = out->size();
  out->resize(at + n);
  char* p = out->data() + at;
  while (n > 0) {
    uint64_t v = rng.Next();
    for (int i = 0; i < 10 && n > 0; ++i, --n, v >>= 6) *p++ = kB64[v & 63];
  }
}

void ContentPools::CopyPool(const std::vector<uint8_t>& pool, uint64_t pos, size_t n,
                            uint8_t* dst) const {
  pos %= pool.size();
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, pool.size() - pos);
    std::memcpy(dst, pool.data() + pos, chunk);
    dst += chunk;
    n -= chunk;
    pos = 0;
  }
}

void ContentPools::Copy(const Message& m, uint64_t off, size_t n, uint8_t* dst) const {
  // Head.
  if (off < m.head.size()) {
    const size_t c = std::min<size_t>(n, m.head.size() - off);
    std::memcpy(dst, m.head.data() + off, c);
    dst += c;
    off += c;
    n -= c;
  }
  // Body.
  const uint64_t body_end = m.head.size() + m.body_len;
  while (n > 0 && off < body_end) {
    const uint64_t b = off - m.head.size();
    size_t c = static_cast<size_t>(std::min<uint64_t>(n, body_end - off));
    switch (m.kind) {
      case BodyKind::kNone:
      case BodyKind::kBinary:
        CopyPool(binary_, m.pool_base + b, c, dst);
        break;
      case BodyKind::kText:
        CopyPool(text_, m.pool_base + b, c, dst);
        break;
      case BodyKind::kTlsRecords: {
        const uint64_t rec = b / kTlsRecordStride, in = b % kTlsRecordStride;
        if (in < 5) {
          const uint64_t rec_len =
              std::min<uint64_t>(kTlsRecordStride, m.body_len - rec * kTlsRecordStride) - 5;
          const uint8_t hdr[5] = {0x17, 0x03, 0x03, static_cast<uint8_t>(rec_len >> 8),
                                  static_cast<uint8_t>(rec_len)};
          c = std::min<size_t>(c, static_cast<size_t>(5 - in));
          std::memcpy(dst, hdr + in, c);
        } else {
          c = std::min<size_t>(c, static_cast<size_t>(kTlsRecordStride - in));
          CopyPool(binary_, m.pool_base + b, c, dst);
        }
        break;
      }
    }
    dst += c;
    off += c;
    n -= c;
  }
  // Tail.
  if (n > 0) std::memcpy(dst, m.tail.data() + (off - body_end), n);
}

// --- TLS -------------------------------------------------------------------

uint64_t TlsBodyLen(uint64_t want) {
  constexpr uint64_t kMinRecord = 5 + 17;  // 1 byte of content + 16-byte tag
  if (want < kMinRecord) return kMinRecord;
  const uint64_t last = want % kTlsRecordStride;
  if (last != 0 && last < kMinRecord) want += kMinRecord - last;
  return want;
}

std::string TlsClientHello(Rng& rng, std::string_view sni, bool alpn_h2, bool resume) {
  std::string b;
  U16(b, 0x0303);
  RandomBytes(rng, b, 32);
  U8(b, 32);
  RandomBytes(rng, b, 32);
  static constexpr uint16_t kSuites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                         0xc02c, 0xc030, 0xcca9, 0xcca8};
  U16(b, sizeof(kSuites));
  for (uint16_t s : kSuites) U16(b, s);
  U8(b, 1);
  U8(b, 0);
  std::string e;
  // server_name
  U16(e, 0x0000);
  U16(e, sni.size() + 5);
  U16(e, sni.size() + 3);
  U8(e, 0);
  U16(e, sni.size());
  e.append(sni);
  U16(e, 0x0017);  // extended_master_secret
  U16(e, 0);
  U16(e, 0xff01);  // renegotiation_info
  U16(e, 1);
  U8(e, 0);
  U16(e, 0x000a);  // supported_groups
  U16(e, 8);
  U16(e, 6);
  U16(e, 0x001d);
  U16(e, 0x0017);
  U16(e, 0x0018);
  U16(e, 0x000b);  // ec_point_formats
  U16(e, 2);
  U8(e, 1);
  U8(e, 0);
  U16(e, 0x0023);  // session_ticket
  U16(e, 0);
  if (alpn_h2) {
    U16(e, 0x0010);
    U16(e, 14);
    U16(e, 12);
    U8(e, 2);
    e.append("h2");
    U8(e, 8);
    e.append("http/1.1");
  }
  U16(e, 0x000d);  // signature_algorithms
  static constexpr uint16_t kSig[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                      0x0805, 0x0501, 0x0806, 0x0601};
  U16(e, sizeof(kSig) + 2);
  U16(e, sizeof(kSig));
  for (uint16_t s : kSig) U16(e, s);
  U16(e, 0x002b);  // supported_versions
  U16(e, 5);
  U8(e, 4);
  U16(e, 0x0304);
  U16(e, 0x0303);
  U16(e, 0x002d);  // psk_key_exchange_modes
  U16(e, 2);
  U8(e, 1);
  U8(e, 1);
  U16(e, 0x0033);  // key_share: x25519
  U16(e, 38);
  U16(e, 36);
  U16(e, 0x001d);
  U16(e, 32);
  RandomBytes(rng, e, 32);
  if (resume) {
    // pre_shared_key (must be the last extension): one ticket + binder.
    const size_t ticket = 160 + rng.Below(64);
    U16(e, 0x0029);
    U16(e, 2 + 2 + ticket + 4 + 2 + 1 + 32);
    U16(e, 2 + ticket + 4);
    U16(e, ticket);
    RandomBytes(rng, e, ticket + 4);  // ticket, obfuscated_ticket_age
    U16(e, 33);
    U8(e, 32);
    RandomBytes(rng, e, 32);
  } else {
    // padding to a 512-byte ClientHello body (BoringSSL style)
    const size_t so_far = b.size() + 2 + e.size();
    if (so_far + 4 < 508) {
      const size_t pad = 508 - so_far - 4;
      U16(e, 0x0015);
      U16(e, pad);
      e.append(pad, '\0');
    }
  }
  U16(b, e.size());
  b += e;
  std::string hs;
  U8(hs, 1);
  U24(hs, b.size());
  hs += b;
  std::string rec;
  U8(rec, 0x16);
  U16(rec, 0x0301);
  U16(rec, hs.size());
  return rec + hs;
}

std::string TlsServerHello(Rng& rng, std::string_view client_hello, bool resume) {
  std::string b;
  U16(b, 0x0303);
  RandomBytes(rng, b, 32);
  // Session id: record(5) + handshake header(4) + version(2) + random(32).
  constexpr size_t kSidAt = 5 + 4 + 2 + 32;
  const size_t sid_len =
      client_hello.size() > kSidAt ? static_cast<uint8_t>(client_hello[kSidAt]) : 0;
  U8(b, sid_len);
  b.append(client_hello.substr(kSidAt + 1, sid_len));
  U16(b, rng.Chance(3, 4) ? 0x1301 : 0x1302);
  U8(b, 0);
  std::string e;
  U16(e, 0x002b);
  U16(e, 2);
  U16(e, 0x0304);
  U16(e, 0x0033);
  U16(e, 36);
  U16(e, 0x001d);
  U16(e, 32);
  RandomBytes(rng, e, 32);
  if (resume) {
    U16(e, 0x0029);  // pre_shared_key: selected identity 0
    U16(e, 2);
    U16(e, 0);
  }
  U16(b, e.size());
  b += e;
  std::string hs;
  U8(hs, 2);
  U24(hs, b.size());
  hs += b;
  std::string rec;
  U8(rec, 0x16);
  U16(rec, 0x0303);
  U16(rec, hs.size());
  return rec + hs + TlsChangeCipherSpec();
}

std::string TlsChangeCipherSpec() { return std::string("\x14\x03\x03\x00\x01\x01", 6); }

// --- HTTP ------------------------------------------------------------------

std::string HttpDate(uint64_t ts_ns) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const uint64_t secs = ts_ns / 1'000'000'000;
  const int64_t days = static_cast<int64_t>(secs / 86400);
  const uint64_t sod = secs % 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04lld %02u:%02u:%02u GMT", kDays[days % 7], d,
                kMonths[m - 1], static_cast<long long>(y), static_cast<unsigned>(sod / 3600),
                static_cast<unsigned>(sod / 60 % 60), static_cast<unsigned>(sod % 60));
  return buf;
}

std::string HttpRequestHead(Rng& rng, const ContentPools& pools, std::string_view host,
                            uint64_t want, uint64_t* body_len) {
  static constexpr const char* kPaths[] = {
      "/",           "/index.html",    "/api/v1/items/", "/static/js/app.", "/images/photo-",
      "/feed?page=", "/assets/style.", "/download/file-"};
  static constexpr const char* kAgents[] = {
      "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
      ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/131.0.0.0 Safari/537.36"),
      "curl/7.88.1", "Debian APT-HTTP/1.3 (2.6.1)"};
  const size_t pi = rng.Below(8);
  std::string path = kPaths[pi];
  if (pi >= 2) path += std::to_string(rng.Below(100000));
  const bool post = want > 4096;
  std::string h = post ? "POST " : "GET ";
  h += path + " HTTP/1.1\r\nHost: ";
  h.append(host);
  h += "\r\nUser-Agent: ";
  h += kAgents[rng.Below(4)];
  h += "\r\nAccept: */*\r\nAccept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\n";
  *body_len = 0;
  if (post) {
    h += "Content-Type: application/octet-stream\r\nContent-Length: ";
    // Pick the body so that head + body == want exactly.
    *body_len = 1;
    for (size_t digits = 1; digits < 20; ++digits) {
      const uint64_t fixed = h.size() + digits + 4;
      if (want <= fixed) break;
      if (std::to_string(want - fixed).size() == digits) {
        *body_len = want - fixed;
        break;
      }
    }
    h += std::to_string(*body_len) + "\r\n\r\n";
    return h;
  }
  constexpr std::string_view kCookie = "Cookie: sid=";
  if (want > h.size() + kCookie.size() + 4 + 2) {
    h += kCookie;
    pools.Base64Chars(rng, want - h.size() - 4, &h);
    h += "\r\n";
  }
  h += "\r\n";
  return h;
}

std::string HttpResponseHead(uint64_t ts_ns, uint64_t body_len) {
  std::string h = "HTTP/1.1 200 OK\r\nDate: " + HttpDate(ts_ns) +
                  "\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n"
                  "Content-Length: " +
                  std::to_string(body_len) + "\r\nConnection: keep-alive\r\n\r\n";
  return h;
}

// --- SSH -------------------------------------------------------------------

std::string SshBanner(bool server) {
  return server ? "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n" : "SSH-2.0-OpenSSH_9.6\r\n";
}

std::string SshPacket(Rng& rng, std::string_view payload) {
  size_t pad = 8 - (5 + payload.size()) % 8;
  if (pad < 4) pad += 8;
  std::string p;
  U32(p, 1 + payload.size() + pad);
  U8(p, pad);
  p.append(payload);
  RandomBytes(rng, p, pad);
  return p;
}

std::string SshKexInit(Rng& rng, bool server) {
  std::string p;
  U8(p, 20);
  RandomBytes(rng, p, 16);
  SshString(p, server ? "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                        "diffie-hellman-group14-sha256"
                      : "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                        "diffie-hellman-group14-sha256,ext-info-c");
  SshString(p, "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256");
  for (int dir = 0; dir < 2; ++dir) {
    SshString(p, "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes256-gcm@openssh.com");
  }
  for (int dir = 0; dir < 2; ++dir) {
    SshString(p, "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256");
  }
  for (int dir = 0; dir < 2; ++dir) SshString(p, "none,zlib@openssh.com");
  SshString(p, "");
  SshString(p, "");
  U8(p, 0);
  U32(p, 0);
  return SshPacket(rng, p);
}

std::string SshEcdhInit(Rng& rng) {
  std::string p;
  U8(p, 30);
  std::string q;
  RandomBytes(rng, q, 32);
  SshString(p, q);
  return SshPacket(rng, p);
}

std::string SshEcdhReply(Rng& rng) {
  // Ed25519 host key and signature, as a current OpenSSH server sends.
  // (Wireshark 4.0 decodes the key but not Ed25519 signature bodies and
  // adds a "Decoded 19 bytes, but packet legnth is 83 bytes" warning; the
  // same happens on real captures.)
  std::string key, q, sig, p, raw;
  SshString(key, "ssh-ed25519");
  RandomBytes(rng, raw, 32);
  SshString(key, raw);
  RandomBytes(rng, q, 32);
  SshString(sig, "ssh-ed25519");
  raw.clear();
  RandomBytes(rng, raw, 64);
  SshString(sig, raw);
  U8(p, 31);
  SshString(p, key);
  SshString(p, q);
  SshString(p, sig);
  return SshPacket(rng, p);
}

std::string SshNewKeys(Rng& rng) { return SshPacket(rng, std::string_view("\x15", 1)); }

// --- DNS -------------------------------------------------------------------

namespace {
void PutName(std::string& s, std::string_view name) {
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    U8(s, label.size());
    s.append(label);
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  U8(s, 0);
}
void PutOpt(std::string& s) {
  U8(s, 0);
  U16(s, 41);
  U16(s, 1232);
  U32(s, 0);
  U16(s, 0);
}
}  // namespace

std::string DnsQuery(uint16_t id, std::string_view name, uint16_t qtype) {
  std::string s;
  U16(s, id);
  U16(s, 0x0100);  // RD
  U16(s, 1);
  U16(s, 0);
  U16(s, 0);
  U16(s, 1);
  PutName(s, name);
  U16(s, qtype);
  U16(s, 1);
  PutOpt(s);
  return s;
}

std::string DnsResponse(uint16_t id, std::string_view name, uint16_t qtype, const DnsAnswer& a) {
  std::string s;
  U16(s, id);
  U16(s, a.nxdomain ? 0x8183 : 0x8180);
  U16(s, 1);
  const size_t an = a.nxdomain ? 0 : a.addrs.size() + (a.cname.empty() ? 0 : 1);
  U16(s, an);
  U16(s, a.nxdomain ? 1 : 0);
  U16(s, 1);
  PutName(s, name);
  U16(s, qtype);
  U16(s, 1);
  if (a.nxdomain) {
    PutName(s, a.zone);
    U16(s, 6);  // SOA
    U16(s, 1);
    U32(s, 900);
    const size_t len_at = s.size();
    U16(s, 0);
    PutName(s, "ns1." + a.zone);
    PutName(s, "hostmaster." + a.zone);
    U32(s, 2025123101);
    U32(s, 7200);
    U32(s, 3600);
    U32(s, 1209600);
    U32(s, 300);
    Set16(s, len_at, s.size() - len_at - 2);
  } else {
    uint16_t owner = 0xC00C;  // the question name
    if (!a.cname.empty()) {
      U16(s, owner);
      U16(s, 5);
      U16(s, 1);
      U32(s, a.ttl);
      const size_t len_at = s.size();
      U16(s, 0);
      owner = static_cast<uint16_t>(0xC000 | s.size());
      PutName(s, a.cname);
      Set16(s, len_at, s.size() - len_at - 2);
    }
    for (const std::string& addr : a.addrs) {
      U16(s, owner);
      U16(s, addr.size() == 16 ? kDnsAAAA : kDnsA);
      U16(s, 1);
      U32(s, a.ttl);
      U16(s, addr.size());
      s += addr;
    }
  }
  PutOpt(s);
  return s;
}

// --- NTP / ICMP --------------------------------------------------------------

namespace {
constexpr uint64_t kNtpEpochOffset = 2208988800ull;
void PutNtpTime(uint8_t* p, uint64_t ns) {
  const uint64_t sec = ns / 1'000'000'000 + kNtpEpochOffset;
  const uint64_t frac = ((ns % 1'000'000'000) << 32) / 1'000'000'000;
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(sec >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(frac >> (24 - 8 * i));
}
}  // namespace

void NtpRequest(uint8_t* out, uint64_t ts_ns) {
  std::memset(out, 0, kNtpLen);
  out[0] = 0x23;  // LI 0, version 4, mode 3 (client)
  out[2] = 6;     // poll 2^6 s
  out[3] = 0xE8;  // precision 2^-24 s
  PutNtpTime(out + 40, ts_ns);
}

void NtpResponse(uint8_t* out, const uint8_t* request, uint64_t recv_ns, uint64_t xmit_ns,
                 uint32_t refid) {
  std::memset(out, 0, kNtpLen);
  out[0] = 0x24;  // LI 0, version 4, mode 4 (server)
  out[1] = 2;     // stratum
  out[2] = request[2];
  out[3] = 0xE9;
  out[6] = 0x01;   // root delay ~ 15 ms
  out[10] = 0x02;  // root dispersion ~ 30 ms
  for (int i = 0; i < 4; ++i) out[12 + i] = static_cast<uint8_t>(refid >> (24 - 8 * i));
  PutNtpTime(out + 16, recv_ns - std::min<uint64_t>(recv_ns, 37'000'000'000ull));
  std::memcpy(out + 24, request + 40, 8);  // origin = client's transmit
  PutNtpTime(out + 32, recv_ns);
  PutNtpTime(out + 40, xmit_ns);
}

void PingPayload(uint8_t* out, uint64_t ts_ns) {
  const uint64_t sec = ts_ns / 1'000'000'000, usec = ts_ns % 1'000'000'000 / 1000;
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(sec >> (8 * i));
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<uint8_t>(usec >> (8 * i));
  for (size_t i = 16; i < kPingPayload; ++i) out[i] = static_cast<uint8_t>(i);
}

}  // namespace trove::synth
