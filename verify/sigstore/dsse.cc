#include "verify/sigstore/dsse.h"

#include "absl/strings/str_cat.h"

namespace pullsentry::sigstore {

std::string DssePreAuthEncoding(std::string_view payload_type, std::string_view payload) {
  return absl::StrCat("DSSEv1 ", payload_type.size(), " ", std::string(payload_type), " ", payload.size(), " ",
                      std::string(payload));
}

absl::Status VerifyDsseEnvelope(const DsseEnvelope& envelope, const crypto::PublicKey& key) {
  absl::Status s = key.Verify(DssePreAuthEncoding(envelope.payload_type, envelope.payload), envelope.signature);
  if (!s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("DSSE signature does not verify with ", key.Description(), " key ",
                                                    key.Fingerprint()));
  }
  return absl::OkStatus();
}

}  // namespace pullsentry::sigstore
