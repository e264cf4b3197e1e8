#include "verify/sigstore/checkpoint.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "verify/crypto/digest.h"
#include "verify/sigstore/sigstore_limits.h"
#include "verify/sigstore/merkle.h"

namespace pullsentry::sigstore {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // "— "
constexpr size_t kKeyHintBytes = 4;
constexpr size_t kEd25519SpkiBytes = 44;  // 12-byte header + 32-byte key

absl::Status Malformed(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("checkpoint: ", std::string(why)));
}

std::string RawSha256(std::string_view data) {
  // crypto::Sha256Digest gives "sha256:<hex>"; the hint needs the bytes.
  std::string hex = crypto::Sha256Digest(data).substr(7);
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out[i] = static_cast<char>(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
  }
  return out;
}

// Splits `text` into lines, each of which must end in "\n".
absl::StatusOr<std::vector<std::string_view>> Lines(std::string_view text, std::string_view what) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return Malformed(absl::StrCat(std::string(what), " does not end in a newline"));
    if (lines.size() >= kMaxCheckpointLines) return Malformed("too many lines");
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

bool IsRekorV1Origin(std::string_view origin) {
  size_t sep = origin.rfind(" - ");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view tree = origin.substr(sep + 3);
  if (tree.empty()) return false;
  for (char c : tree) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view envelope) {
  if (envelope.size() > kMaxCheckpointBytes) return Malformed("larger than the limit");
  // signed-note: the text must not contain control characters but newline.
  for (unsigned char c : envelope) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return Malformed("contains a control character");
  }
  size_t split = envelope.find("\n\n");
  if (split == std::string_view::npos) return Malformed("no blank line between the note and its signatures");
  Checkpoint cp;
  cp.signed_text = std::string(envelope.substr(0, split + 1));
  absl::StatusOr<std::vector<std::string_view>> body = Lines(cp.signed_text, "note");
  if (!body.ok()) return body.status();
  absl::StatusOr<std::vector<std::string_view>> sigs = Lines(envelope.substr(split + 2), "signature block");
  if (!sigs.ok()) return sigs.status();
  if (body->size() < 3) return Malformed("want origin, tree size and root hash lines");
  cp.origin = std::string((*body)[0]);
  if (cp.origin.empty()) return Malformed("empty origin line");
  std::string_view size = (*body)[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0')) return Malformed("tree size is not a decimal number");
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), cp.tree_size);
  if (ec != std::errc() || end != size.data() + size.size()) return Malformed("tree size is not a decimal number");
  std::optional<std::string> root = crypto::Base64Decode((*body)[2]);
  if (!root.has_value() || root->size() != kMerkleHashBytes) {
    return Malformed("root hash line is not 32 bytes of base64");
  }
  cp.root_hash = *std::move(root);
  for (size_t i = 3; i < body->size(); ++i) cp.extensions.emplace_back((*body)[i]);

  if (sigs->empty()) return Malformed("no signature lines");
  if (sigs->size() > kMaxCheckpointSignatures) return Malformed("too many signature lines");
  for (std::string_view line : *sigs) {
    if (!line.starts_with(kEmDashSpace)) return Malformed("a signature line does not start with \"— \"");
    line.remove_prefix(kEmDashSpace.size());
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0) return Malformed("a signature line lacks a signer name");
    std::string_view name = line.substr(0, space);
    if (name.find('+') != std::string_view::npos) return Malformed("a signer name contains \"+\"");
    std::optional<std::string> blob = crypto::Base64Decode(line.substr(space + 1));
    if (!blob.has_value() || blob->size() <= kKeyHintBytes) {
      return Malformed("a signature is not base64 of a key hint and a signature");
    }
    cp.signatures.push_back(
        {std::string(name), blob->substr(0, kKeyHintBytes), blob->substr(kKeyHintBytes)});
  }
  return cp;
}

std::string CheckpointKeyHint(const TransparencyLog& log) {
  if (log.ed25519 && log.public_key_der.size() == kEd25519SpkiBytes) {
    std::string raw = log.public_key_der.substr(kEd25519SpkiBytes - 32);
    return RawSha256(absl::StrCat(log.HostName(), "\n\x01", raw)).substr(0, kKeyHintBytes);
  }
  return RawSha256(log.public_key_der).substr(0, kKeyHintBytes);
}

absl::Status VerifyCheckpointSignature(const Checkpoint& checkpoint, const TransparencyLog& log) {
  const std::string host = log.HostName();
  if (checkpoint.origin != host && !IsRekorV1Origin(checkpoint.origin)) {
    return absl::PermissionDeniedError(absl::StrCat("checkpoint: origin \"", checkpoint.origin.substr(0, 128),
                                                    "\" is not the log ", host));
  }
  const std::string hint = CheckpointKeyHint(log);
  bool candidate = false;
  for (const CheckpointSignature& sig : checkpoint.signatures) {
    if (sig.key_hint != hint) continue;
    // An Ed25519 note key is named: the hint covers the name, so a
    // signature under another name is by another (note) key.
    if (log.ed25519 && sig.name != host) continue;
    candidate = true;
    if (log.key->Verify(checkpoint.signed_text, sig.signature).ok()) return absl::OkStatus();
  }
  if (!candidate) {
    return absl::PermissionDeniedError(
        absl::StrCat("checkpoint: no signature by the key of log ", host, " (key hint ", HexEncode(hint), ")"));
  }
  return absl::PermissionDeniedError(absl::StrCat("checkpoint: signature by log ", host, " does not verify"));
}

absl::Status VerifyCheckpointForProof(std::string_view envelope, const TransparencyLog& log, uint64_t tree_size,
                                      std::string_view root_hash) {
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(envelope);
  if (!cp.ok()) return cp.status();
  if (absl::Status s = VerifyCheckpointSignature(*cp, log); !s.ok()) return s;
  // sigstore-go and sigstore-python compare both; @sigstore/verify skips
  // the root, which lets a proof's stated root disagree with the log's.
  if (cp->tree_size != tree_size) {
    return absl::PermissionDeniedError(absl::StrCat("checkpoint: tree size ", cp->tree_size,
                                                    " differs from the inclusion proof's ", tree_size));
  }
  if (cp->root_hash != root_hash) {
    return absl::PermissionDeniedError(absl::StrCat("checkpoint: root hash ", HexEncode(cp->root_hash),
                                                    " differs from the inclusion proof's ", HexEncode(root_hash)));
  }
  return absl::OkStatus();
}

}  // namespace pullsentry::sigstore
