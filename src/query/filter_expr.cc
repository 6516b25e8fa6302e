#include "query/filter_expr.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

namespace trove {
namespace {

std::vector<std::string> Tokenize(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')' || c == '!') {
      out.emplace_back(1, c);
      ++i;
    } else if ((c == '&' || c == '|') && i + 1 < s.size() && s[i + 1] == c) {
      out.emplace_back(c == '&' ? "and" : "or");
      i += 2;
    } else {
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '(' &&
             s[j] != ')' && s[j] != '!' && s[j] != '&' && s[j] != '|')
        ++j;
      if (j == i) {  // a lone '&' or '|'
        out.emplace_back(1, c);
        ++i;
      } else {
        out.emplace_back(s.substr(i, j - i));
        i = j;
      }
    }
  }
  return out;
}

bool ParseAddr(const std::string& s, uint8_t* version, uint8_t addr[16]) {
  in_addr a4;
  in6_addr a6;
  std::memset(addr, 0, 16);
  // Only full dotted quads: libpcap reads "10.1" as a network, not a host.
  int dots = 0;
  for (char c : s) dots += c == '.';
  if (dots == 3 && inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    addr[10] = addr[11] = 0xff;
    std::memcpy(addr + 12, &a4, 4);
    *version = 4;
    return true;
  }
  if (s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(addr, &a6, 16);
    *version = 6;
    return true;
  }
  return false;
}

bool ParseUint(const std::string& s, unsigned max, unsigned* out) {
  if (s.empty() || s.size() > 6) return false;
  unsigned v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

FilterExpr Node(FilterExpr::Op op, std::vector<FilterExpr> kids) {
  FilterExpr e;
  e.op = op;
  e.kids = std::move(kids);
  return e;
}

FilterExpr ProtoNode(int proto) {
  FilterExpr e;
  e.op = FilterExpr::Op::kProto;
  e.proto = proto;
  return e;
}

class Parser {
 public:
  explicit Parser(std::vector<std::string> t) : t_(std::move(t)) {}

  std::optional<FilterExpr> Parse(std::string* why) {
    auto e = Expr();
    if (e && pos_ != t_.size()) Fail("unexpected '" + t_[pos_] + "'");
    if (!ok_) {
      if (why) *why = why_;
      return std::nullopt;
    }
    return e;
  }

 private:
  struct Quals {
    int proto = 0;  // 0 = none
    FilterExpr::Dir dir = FilterExpr::Dir::kAny;
    std::string type;  // host/net/port; "" = none
  };

  bool At(const char* s) const { return pos_ < t_.size() && t_[pos_] == s; }
  void Fail(const std::string& why) {
    if (ok_) why_ = why;
    ok_ = false;
  }

  std::optional<FilterExpr> Expr() {
    auto left = Unary();
    while (ok_ && left && (At("and") || At("or"))) {
      const bool is_and = At("and");
      ++pos_;
      auto right = Unary();
      if (!right) return std::nullopt;
      left = Node(is_and ? FilterExpr::Op::kAnd : FilterExpr::Op::kOr, {*left, *right});
    }
    return left;
  }

  std::optional<FilterExpr> Unary() {
    if (!ok_) return std::nullopt;
    if (At("not") || At("!")) {
      ++pos_;
      auto e = Unary();
      if (!e) return std::nullopt;
      return Node(FilterExpr::Op::kNot, {*e});
    }
    if (At("(")) {
      ++pos_;
      auto e = Expr();
      if (!e) return std::nullopt;
      if (!At(")")) {
        Fail("missing ')'");
        return std::nullopt;
      }
      ++pos_;
      return e;
    }
    return Primitive();
  }

  static int ProtoOf(const std::string& s) {
    if (s == "ip") return FilterExpr::kProtoIp;
    if (s == "ip6") return FilterExpr::kProtoIp6;
    if (s == "tcp") return 6;
    if (s == "udp") return 17;
    if (s == "icmp") return 1;
    if (s == "icmp6") return 58;
    return 0;
  }

  // Records the tag stack the primitive's tests read past.
  void Stamp(FilterExpr* e) const {
    e->vlans_before = static_cast<uint8_t>(vlans_);
    e->mpls_before = static_cast<uint8_t>(mpls_);
    for (FilterExpr& k : e->kids) Stamp(&k);
  }

  std::optional<FilterExpr> Primitive() {
    if (At("vlan") || At("mpls")) return Tag();
    auto e = Untagged();
    if (e) Stamp(&*e);
    return e;
  }

  // `vlan [id]` / `mpls [label]`; each moves later primitives 4 bytes on.
  std::optional<FilterExpr> Tag() {
    FilterExpr e;
    const bool vlan = At("vlan");
    e.op = vlan ? FilterExpr::Op::kVlan : FilterExpr::Op::kMpls;
    ++pos_;
    unsigned id;
    if (pos_ < t_.size() && ParseUint(t_[pos_], vlan ? 4095 : 1048575, &id)) {
      e.has_tag_id = true;
      e.tag_id = id;
      ++pos_;
    }
    if (vlan && mpls_ > 0) {
      Fail("vlan after mpls");  // libpcap refuses it
      return std::nullopt;
    }
    if (vlans_ + mpls_ >= 16) {
      Fail("too many vlan/mpls");
      return std::nullopt;
    }
    Stamp(&e);
    ++(vlan ? vlans_ : mpls_);
    have_last_ = false;  // a bare value after a tag is left to libpcap
    return e;
  }

  std::optional<FilterExpr> Untagged() {
    if (pos_ >= t_.size()) {
      Fail("expression ends early");
      return std::nullopt;
    }
    Quals q;
    bool any_qual = false;
    if (int p = ProtoOf(t_[pos_])) {
      q.proto = p;
      any_qual = true;
      ++pos_;
    }
    if (At("src") || At("dst")) {
      q.dir = At("src") ? FilterExpr::Dir::kSrc : FilterExpr::Dir::kDst;
      any_qual = true;
      ++pos_;
      if ((At("or") || At("and")) && pos_ + 1 < t_.size() &&
          (t_[pos_ + 1] == "src" || t_[pos_ + 1] == "dst")) {
        q.dir = At("or") ? FilterExpr::Dir::kAny : FilterExpr::Dir::kSrcAndDst;
        pos_ += 2;
      }
    }
    if (At("host") || At("net") || At("port")) {
      q.type = t_[pos_];
      any_qual = true;
      ++pos_;
    }
    if (q.proto != 0 && q.dir == FilterExpr::Dir::kAny && q.type.empty() &&
        (pos_ >= t_.size() || At("and") || At("or") || At(")"))) {
      last_ = q;
      return ProtoNode(q.proto);  // a protocol alone
    }
    if (pos_ >= t_.size()) {
      Fail("a qualifier without a value");
      return std::nullopt;
    }
    if (!any_qual) {
      if (!have_last_) {
        Fail("'" + t_[pos_] + "' is not in the indexable subset");
        return std::nullopt;
      }
      q = last_;  // `host a or b`
    }
    if (q.type.empty()) {
      // `src 1.2.3.4` means host; a number means port in libpcap only with
      // a type, so anything else is left to libpcap.
      uint8_t v;
      uint8_t a[16];
      if (ParseAddr(t_[pos_], &v, a))
        q.type = "host";
      else {
        Fail("'" + t_[pos_] + "' is not in the indexable subset");
        return std::nullopt;
      }
    }
    auto atom = Value(q, t_[pos_]);
    if (!atom) return std::nullopt;
    ++pos_;
    last_ = q;
    have_last_ = true;
    if (q.proto != 0) return Node(FilterExpr::Op::kAnd, {ProtoNode(q.proto), *atom});
    return atom;
  }

  std::optional<FilterExpr> Value(const Quals& q, const std::string& v) {
    FilterExpr e;
    e.dir = q.dir;
    if (q.type == "port") {
      unsigned port;
      if (!ParseUint(v, 65535, &port)) {
        Fail("port '" + v + "' is not a number");
        return std::nullopt;
      }
      if (q.proto != 0 && q.proto != 6 && q.proto != 17) {
        Fail("port with a protocol other than tcp/udp");
        return std::nullopt;
      }
      e.op = FilterExpr::Op::kPort;
      e.port = static_cast<uint16_t>(port);
      return e;
    }
    std::string addr = v;
    int bits = -1;
    if (q.type == "net") {
      const size_t slash = v.find('/');
      if (slash == std::string::npos) {
        Fail("net without /len");
        return std::nullopt;
      }
      addr = v.substr(0, slash);
      unsigned b;
      if (!ParseUint(v.substr(slash + 1), 128, &b)) {
        Fail("bad prefix length in '" + v + "'");
        return std::nullopt;
      }
      bits = static_cast<int>(b);
    }
    if (!ParseAddr(addr, &e.ip_version, e.addr)) {
      Fail("'" + addr + "' is not a numeric address");
      return std::nullopt;
    }
    if (q.proto != 0 && q.proto != FilterExpr::kProtoIp && q.proto != FilterExpr::kProtoIp6) {
      // `tcp host X` is not pcap-filter syntax; let libpcap say so.
      Fail("host/net with a transport qualifier");
      return std::nullopt;
    }
    if (q.type == "net") {
      if (bits > (e.ip_version == 4 ? 32 : 128)) {
        Fail("prefix too long");
        return std::nullopt;
      }
      e.op = FilterExpr::Op::kNet;
      e.prefix_bits = bits;
    } else {
      e.op = FilterExpr::Op::kHost;
    }
    return e;
  }

  std::vector<std::string> t_;
  size_t pos_ = 0;
  bool ok_ = true;
  std::string why_;
  Quals last_;
  bool have_last_ = false;
  int vlans_ = 0, mpls_ = 0;  // `vlan`/`mpls` keywords so far
};

std::string AddrText(uint8_t v, const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v == 4)
    inet_ntop(AF_INET, a + 12, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, a, buf, sizeof buf);
  return buf;
}

const char* DirText(FilterExpr::Dir d) {
  switch (d) {
    case FilterExpr::Dir::kSrc:
      return "src ";
    case FilterExpr::Dir::kDst:
      return "dst ";
    case FilterExpr::Dir::kSrcAndDst:
      return "src and dst ";
    case FilterExpr::Dir::kAny:
      break;
  }
  return "";
}

}  // namespace

std::optional<FilterExpr> ParseIndexableFilter(std::string_view text, std::string* why_not) {
  std::vector<std::string> t = Tokenize(text);
  if (t.empty()) {
    if (why_not) *why_not = "empty expression";
    return std::nullopt;
  }
  return Parser(std::move(t)).Parse(why_not);
}

std::string FilterExpr::ToString() const {
  switch (op) {
    case Op::kAnd:
    case Op::kOr: {
      // Appended, not `"(" + kids[0].ToString() + ...`: GCC 12 at -O3 reports a
      // false -Wrestrict in operator+(const char*, string&&) (GCC bug 105329).
      std::string s = "(";
      s.append(kids[0].ToString()).append(op == Op::kAnd ? " and " : " or ");
      s.append(kids[1].ToString()).append(")");
      return s;
    }
    case Op::kNot:
      return "not " + kids[0].ToString();
    case Op::kHost:
      return std::string(DirText(dir)) + "host " + AddrText(ip_version, addr);
    case Op::kNet:
      return std::string(DirText(dir)) + "net " + AddrText(ip_version, addr) + "/" +
             std::to_string(prefix_bits);
    case Op::kPort:
      return std::string(DirText(dir)) + "port " + std::to_string(port);
    case Op::kVlan:
    case Op::kMpls: {
      std::string s = op == Op::kVlan ? "vlan" : "mpls";  // appended: GCC bug 105329 (above)
      if (has_tag_id) s.append(" ").append(std::to_string(tag_id));
      return s;
    }
    case Op::kProto:
      switch (proto) {
        case kProtoIp:
          return "ip";
        case kProtoIp6:
          return "ip6";
        case 6:
          return "tcp";
        case 17:
          return "udp";
        case 1:
          return "icmp";
        case 58:
          return "icmp6";
        default:
          return "proto " + std::to_string(proto);
      }
  }
  return "?";
}

}  // namespace trove
