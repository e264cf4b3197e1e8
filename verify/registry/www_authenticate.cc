#include "verify/registry/www_authenticate.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "verify/registry/registry_limits.h"
#include "verify/registry/str_util.h"

namespace pullsentry::registry {
namespace {

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  if (internal::IsAlnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 9110 §11.2 token68 (without the trailing '=' padding).
bool IsToken68Char(char c) {
  return internal::IsAlnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
         c == '+' || c == '/';
}

// A cursor over the header. Every method either consumes what it names and
// returns it, or leaves the position unchanged and returns nullopt.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }
  void Reset(size_t pos) { pos_ = pos; }

  void SkipSpace() {
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  // OWS and empty list elements ("a, ,b" is legal, RFC 9110 §5.6.1).
  void SkipSpaceAndCommas() {
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == ',')) ++pos_;
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  std::optional<std::string> Token() {
    size_t start = pos_;
    while (!AtEnd() && IsTokenChar(s_[pos_])) ++pos_;
    if (pos_ == start) return std::nullopt;
    return std::string(s_.substr(start, pos_ - start));
  }

  // RFC 9110 §5.6.4: DQUOTE *( qdtext / quoted-pair ) DQUOTE.
  std::optional<std::string> QuotedString() {
    size_t start = pos_;
    if (!Consume('"')) return std::nullopt;
    std::string out;
    while (!AtEnd()) {
      const unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return out;
      if (c == '\\') {
        if (AtEnd()) break;
        const unsigned char escaped = static_cast<unsigned char>(s_[pos_++]);
        if (escaped < 0x20 && escaped != '\t') break;
        if (escaped == 0x7f) break;
        out.push_back(static_cast<char>(escaped));
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f) break;  // no control characters
      out.push_back(static_cast<char>(c));
    }
    pos_ = start;
    return std::nullopt;
  }

  // token BWS "=" BWS ( token / quoted-string )
  std::optional<std::pair<std::string, std::string>> AuthParam() {
    size_t start = pos_;
    std::optional<std::string> name = Token();
    if (name) {
      SkipSpace();
      if (Consume('=')) {
        SkipSpace();
        std::optional<std::string> value = Peek() == '"' ? QuotedString() : Token();
        if (value) return std::make_pair(internal::ToLower(*name), *std::move(value));
      }
    }
    pos_ = start;
    return std::nullopt;
  }

  // token68, which must then end the challenge.
  std::optional<std::string> Token68() {
    size_t start = pos_;
    while (!AtEnd() && IsToken68Char(s_[pos_])) ++pos_;
    if (pos_ == start) return std::nullopt;
    while (!AtEnd() && s_[pos_] == '=') ++pos_;
    std::string value(s_.substr(start, pos_ - start));
    SkipSpace();
    if (AtEnd() || Peek() == ',') return value;
    pos_ = start;
    return std::nullopt;
  }

  // True when the next list element is an auth-param (token BWS "="),
  // not the scheme of the next challenge.
  bool AtAuthParam() {
    size_t start = pos_;
    bool result = Token().has_value();
    if (result) {
      SkipSpace();
      result = Peek() == '=';
    }
    pos_ = start;
    return result;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

absl::Status Malformed(std::string_view what, size_t pos) {
  return absl::InvalidArgumentError(internal::Cat("malformed WWW-Authenticate header: ", what, " at byte ", pos));
}

}  // namespace

std::string Challenge::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

absl::StatusOr<std::vector<Challenge>> ParseWwwAuthenticate(std::string_view header) {
  if (header.size() > kMaxChallengeBytes) {
    return absl::InvalidArgumentError(
        internal::Cat("WWW-Authenticate header of ", header.size(), " bytes exceeds ", kMaxChallengeBytes));
  }
  std::vector<Challenge> challenges;
  Cursor in(header);
  in.SkipSpaceAndCommas();
  while (!in.AtEnd()) {
    if (challenges.size() == kMaxChallenges) return Malformed("too many challenges", in.pos());
    Challenge challenge;
    std::optional<std::string> scheme = in.Token();
    if (!scheme) return Malformed("expected auth scheme", in.pos());
    challenge.scheme = internal::ToLower(*scheme);
    const size_t after_scheme = in.pos();
    in.SkipSpace();
    const bool had_space = in.pos() > after_scheme;
    if (!in.AtEnd() && in.Peek() != ',') {
      if (!had_space) return Malformed("expected space after auth scheme", in.pos());
      // The first item decides: auth-params, or a lone token68 ("abc==" is
      // not a parameter named abc, so try the parameter first).
      std::optional<std::pair<std::string, std::string>> param = in.AuthParam();
      if (!param) {
        std::optional<std::string> token68 = in.Token68();
        if (!token68) return Malformed("expected auth-param or token68", in.pos());
        challenge.token68 = *std::move(token68);
      }
      while (param) {
        if (challenge.params.size() == kMaxChallengeParams) return Malformed("too many parameters", in.pos());
        if (!challenge.params.insert(*std::move(param)).second) return Malformed("repeated parameter", in.pos());
        in.SkipSpace();
        if (in.AtEnd()) break;
        if (!in.Consume(',')) return Malformed("expected ','", in.pos());
        in.SkipSpaceAndCommas();
        if (in.AtEnd() || !in.AtAuthParam()) break;  // next challenge, or done
        param = in.AuthParam();
        if (!param) return Malformed("expected auth-param", in.pos());
      }
    }
    challenges.push_back(std::move(challenge));
    in.SkipSpaceAndCommas();
  }
  if (challenges.empty()) return Malformed("no challenge", 0);
  return challenges;
}

}  // namespace pullsentry::registry
