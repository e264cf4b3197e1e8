// libFuzzer entry point for the Sigstore bundle parser. What a parsed bundle
// hands on is exercised too: the leaf key, the SET payload, the inclusion
// proof check (with whatever index and size the input claims) and the
// checkpoint parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/sigstore/bundle.h"
#include "verify/sigstore/checkpoint.h"
#include "verify/sigstore/dsse.h"
#include "verify/sigstore/merkle.h"
#include "verify/sigstore/set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pullsentry::sigstore;
  absl::StatusOr<Bundle> bundle = ParseBundle(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!bundle.ok()) return 0;
  (void)LeafCertificateKey(*bundle);
  for (const TlogEntry& entry : bundle->tlog_entries) {
    (void)SignedEntryTimestampPayload(entry);
    if (entry.inclusion_proof.has_value()) {
      const InclusionProof& p = *entry.inclusion_proof;
      (void)VerifyInclusion(static_cast<uint64_t>(p.log_index), static_cast<uint64_t>(p.tree_size),
                            MerkleLeafHash(entry.canonicalized_body), p.hashes, p.root_hash);
      if (p.checkpoint.has_value()) (void)ParseCheckpoint(*p.checkpoint);
    }
  }
  if (const auto* d = std::get_if<DsseEnvelope>(&bundle->content)) {
    (void)DssePreAuthEncoding(d->payload_type, d->payload);
  }
  return 0;
}
