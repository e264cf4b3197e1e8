// Notation's COSE envelope (`application/cose`): a tagged COSE_Sign1
// (RFC 9052 §4.2) with Notation's header rules. Spec:
// notaryproject/specifications specs/signature-envelope-cose.md.
//
//   18([protected: bstr(map), unprotected: map, payload: bstr, signature: bstr])
//
// Decoded with libcbor after a bounded pass of libcbor's streaming decoder
// over the same bytes, so no declared length, item count or nesting can make
// the decoder allocate more than the input justifies.
#ifndef PULLSENTRY_VERIFY_NOTATION_COSE_ENVELOPE_H_
#define PULLSENTRY_VERIFY_NOTATION_COSE_ENVELOPE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "verify/notation/envelope.h"

namespace pullsentry::notation {

// Parses a COSE envelope. InvalidArgument with a one-line reason when the
// bytes are not exactly one definite-length CBOR item (no indefinite
// lengths, no trailing bytes, bounded size/depth/items), not tag 18 over a
// four-element array of the right types, when a header map repeats a label
// or a label is in both buckets, when crit or a Notation signed attribute
// is unprotected, when the protected header breaks a rule of header_rules.h,
// or when x5chain (label 33, either bucket; a bstr or an array of them) is
// missing or too long. Times are CBOR tag 1 over an integer.
// Envelope::signed_bytes is the Sig_structure
// ["Signature1", protected, h'', payload], encoded canonically.
absl::StatusOr<Envelope> ParseCoseEnvelope(std::string_view bytes);

// The canonical CBOR encoding of the COSE_Sign1 Sig_structure (RFC 9052
// §4.4) with an empty external_aad.
absl::StatusOr<std::string> EncodeSigStructure(std::string_view protected_bytes, std::string_view payload);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_COSE_ENVELOPE_H_
