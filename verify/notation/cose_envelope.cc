#include "verify/notation/cose_envelope.h"

#include <cbor.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <vector>

#include "verify/notation/str.h"
#include "verify/notation/header_rules.h"
#include "verify/notation/notation_limits.h"
#include "verify/notation/signature_algorithm.h"

namespace pullsentry::notation {
namespace {

struct CborDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using CborPtr = std::unique_ptr<cbor_item_t, CborDeleter>;

struct MallocDeleter {
  void operator()(unsigned char* p) const { free(p); }
};

constexpr int64_t kLabelAlg = 1;
constexpr int64_t kLabelCrit = 2;
constexpr int64_t kLabelContentType = 3;
constexpr int64_t kLabelX5Chain = 33;
constexpr unsigned char kTagCoseSign1Head = 0xd2;  // major type 6, value 18
constexpr uint64_t kTagEpochTime = 1;

// ---- The bounding pass: libcbor's streaming decoder, one token at a time.

struct Shape {
  std::vector<size_t> remaining;  // items still expected per open container
  size_t input_left = 0;          // bytes after the current token
  std::string error;
  bool done = false;  // the top-level item is complete

  void Fail(std::string message) {
    if (error.empty()) error = std::move(message);
  }
  // One item fills a slot of the innermost open container.
  void Item() {
    if (done) return Fail("trailing bytes after the CBOR item");
    if (!remaining.empty()) --remaining.back();
    Close();
  }
  void Close() {
    while (!remaining.empty() && remaining.back() == 0) remaining.pop_back();
    if (remaining.empty()) done = true;
  }
  void Open(size_t items) {
    if (done) return Fail("trailing bytes after the CBOR item");
    if (remaining.size() >= kMaxCborDepth) return Fail("CBOR nesting is too deep");
    if (items > kMaxCborContainerItems) return Fail("a CBOR array or map has too many items");
    // Each item takes at least one byte: a larger count is a lie.
    if (items > input_left) return Fail("a CBOR array or map declares more items than there are bytes");
    if (!remaining.empty()) --remaining.back();
    if (items == 0) return Close();
    remaining.push_back(items);
  }
};

Shape* AsShape(void* ctx) { return static_cast<Shape*>(ctx); }

cbor_callbacks ShapeCallbacks() {
  cbor_callbacks cb = cbor_empty_callbacks;
  cb.uint8 = [](void* c, uint8_t) { AsShape(c)->Item(); };
  cb.uint16 = [](void* c, uint16_t) { AsShape(c)->Item(); };
  cb.uint32 = [](void* c, uint32_t) { AsShape(c)->Item(); };
  cb.uint64 = [](void* c, uint64_t) { AsShape(c)->Item(); };
  cb.negint8 = [](void* c, uint8_t) { AsShape(c)->Item(); };
  cb.negint16 = [](void* c, uint16_t) { AsShape(c)->Item(); };
  cb.negint32 = [](void* c, uint32_t) { AsShape(c)->Item(); };
  cb.negint64 = [](void* c, uint64_t) { AsShape(c)->Item(); };
  cb.byte_string = [](void* c, cbor_data, size_t) { AsShape(c)->Item(); };
  cb.string = [](void* c, cbor_data, size_t) { AsShape(c)->Item(); };
  cb.array_start = [](void* c, size_t n) { AsShape(c)->Open(n); };
  cb.map_start = [](void* c, size_t n) {
    if (n > kMaxCborContainerItems) return AsShape(c)->Fail("a CBOR map has too many entries");
    AsShape(c)->Open(2 * n);
  };
  // A tag wraps exactly one item: count it as a container of one.
  cb.tag = [](void* c, uint64_t) { AsShape(c)->Open(1); };
  cb.float2 = [](void* c, float) { AsShape(c)->Item(); };
  cb.float4 = [](void* c, float) { AsShape(c)->Item(); };
  cb.float8 = [](void* c, double) { AsShape(c)->Item(); };
  cb.undefined = [](void* c) { AsShape(c)->Item(); };
  cb.null = [](void* c) { AsShape(c)->Item(); };
  cb.boolean = [](void* c, bool) { AsShape(c)->Item(); };
  // Notation writes definite lengths; indefinite ones are refused rather
  // than bounded.
  cb.byte_string_start = [](void* c) { AsShape(c)->Fail("indefinite-length CBOR is not accepted"); };
  cb.string_start = [](void* c) { AsShape(c)->Fail("indefinite-length CBOR is not accepted"); };
  cb.indef_array_start = [](void* c) { AsShape(c)->Fail("indefinite-length CBOR is not accepted"); };
  cb.indef_map_start = [](void* c) { AsShape(c)->Fail("indefinite-length CBOR is not accepted"); };
  cb.indef_break = [](void* c) { AsShape(c)->Fail("indefinite-length CBOR is not accepted"); };
  return cb;
}

// Decodes `bytes` as exactly one bounded CBOR item.
absl::StatusOr<CborPtr> LoadBounded(std::string_view bytes, std::string_view what) {
  if (bytes.empty()) return absl::InvalidArgumentError(internal::Cat(what, " is empty"));
  static const cbor_callbacks kCallbacks = ShapeCallbacks();
  Shape shape;
  const auto* data = reinterpret_cast<cbor_data>(bytes.data());
  size_t pos = 0;
  while (pos < bytes.size()) {
    shape.input_left = bytes.size() - pos;
    cbor_decoder_result r = cbor_stream_decode(data + pos, bytes.size() - pos, &kCallbacks, &shape);
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
      return absl::InvalidArgumentError(internal::Cat(what, " is not well-formed CBOR"));
    }
    if (!shape.error.empty()) return absl::InvalidArgumentError(internal::Cat(what, ": ", shape.error));
    pos += r.read;
    shape.input_left = bytes.size() - pos;
  }
  if (!shape.done) return absl::InvalidArgumentError(internal::Cat(what, " is truncated CBOR"));
  cbor_load_result result{};
  CborPtr item(cbor_load(data, bytes.size(), &result));
  if (!item || result.error.code != CBOR_ERR_NONE || result.read != bytes.size()) {
    return absl::InvalidArgumentError(internal::Cat(what, " is not well-formed CBOR"));
  }
  return item;
}

std::string_view Bytes(cbor_item_t* item) {
  return {reinterpret_cast<const char*>(cbor_bytestring_handle(item)), cbor_bytestring_length(item)};
}
std::string_view Text(cbor_item_t* item) {
  return {reinterpret_cast<const char*>(cbor_string_handle(item)), cbor_string_length(item)};
}
bool IsDefiniteBytes(cbor_item_t* item) { return cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item); }
bool IsDefiniteText(cbor_item_t* item) { return cbor_isa_string(item) && cbor_string_is_definite(item); }

std::optional<int64_t> Int(cbor_item_t* item) {
  if (cbor_isa_uint(item)) {
    uint64_t v = cbor_get_int(item);
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (cbor_isa_negint(item)) {
    uint64_t v = cbor_get_int(item);  // the value is -1 - v
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return -1 - static_cast<int64_t>(v);
  }
  return std::nullopt;
}

// A header label: an integer or a text string (RFC 9052 §3).
struct Label {
  bool is_int = false;
  int64_t number = 0;
  std::string text;
  std::string Describe() const { return is_int ? internal::Cat(number) : internal::Cat("\"", text, "\""); }
  bool operator<(const Label& o) const {
    return is_int != o.is_int ? is_int : is_int ? number < o.number : text < o.text;
  }
};

absl::StatusOr<Label> ReadLabel(cbor_item_t* item) {
  if (IsDefiniteText(item)) {
    if (cbor_string_length(item) > kMaxHeaderStringBytes) return absl::InvalidArgumentError("a header label is too long");
    return Label{false, 0, std::string(Text(item))};
  }
  if (auto v = Int(item)) return Label{true, *v, ""};
  return absl::InvalidArgumentError("a header label is neither an integer nor a text string");
}

absl::StatusOr<std::string> ShortText(cbor_item_t* item, std::string_view name) {
  if (!IsDefiniteText(item)) return absl::InvalidArgumentError(internal::Cat("header ", name, " is not a text string"));
  if (cbor_string_length(item) > kMaxHeaderStringBytes) {
    return absl::InvalidArgumentError(internal::Cat("header ", name, " is too long"));
  }
  return std::string(Text(item));
}

absl::StatusOr<int64_t> EpochTime(cbor_item_t* item, std::string_view name) {
  // Spec: times are tag 1 (epoch-based date/time); notation writes integers.
  if (!cbor_isa_tag(item) || cbor_tag_value(item) != kTagEpochTime) {
    return absl::InvalidArgumentError(internal::Cat("header ", name, " is not a CBOR tag 1 time"));
  }
  CborPtr inner(cbor_tag_item(item));
  auto v = Int(inner.get());
  if (!v) return absl::InvalidArgumentError(internal::Cat("header ", name, " is not an integer epoch time"));
  return *v;
}

absl::Status ReadChain(cbor_item_t* item, Envelope* out) {
  std::vector<cbor_item_t*> certs;
  if (IsDefiniteBytes(item)) {
    certs.push_back(item);
  } else if (cbor_isa_array(item) && cbor_array_is_definite(item)) {
    size_t n = cbor_array_size(item);
    if (n == 0) return absl::InvalidArgumentError("x5chain is empty");
    if (n > kMaxChainLength) {
      return absl::InvalidArgumentError(internal::Cat("x5chain has more than ", kMaxChainLength, " certificates"));
    }
    cbor_item_t** handle = cbor_array_handle(item);
    for (size_t i = 0; i < n; ++i) certs.push_back(handle[i]);
  } else {
    return absl::InvalidArgumentError("x5chain is neither a byte string nor an array");
  }
  for (cbor_item_t* cert : certs) {
    if (!IsDefiniteBytes(cert) || cbor_bytestring_length(cert) == 0 ||
        cbor_bytestring_length(cert) > kMaxCertificateBytes) {
      return absl::InvalidArgumentError("an x5chain entry is not a certificate-sized byte string");
    }
    out->certificate_chain.emplace_back(Bytes(cert));
  }
  return absl::OkStatus();
}

// Both buckets are maps with unique labels; returns label → value.
absl::StatusOr<std::vector<std::pair<Label, cbor_item_t*>>> ReadHeaderMap(cbor_item_t* map, std::string_view what) {
  if (!cbor_isa_map(map) || !cbor_map_is_definite(map)) {
    return absl::InvalidArgumentError(internal::Cat("the ", what, " header is not a map"));
  }
  size_t n = cbor_map_size(map);
  if (n > kMaxHeaderEntries) return absl::InvalidArgumentError(internal::Cat("the ", what, " header has too many entries"));
  cbor_pair* pairs = cbor_map_handle(map);
  std::vector<std::pair<Label, cbor_item_t*>> out;
  std::set<Label> seen;
  for (size_t i = 0; i < n; ++i) {
    auto label = ReadLabel(pairs[i].key);
    if (!label.ok()) return label.status();
    if (!seen.insert(*label).second) {
      return absl::InvalidArgumentError(internal::Cat("the ", what, " header repeats label ", label->Describe()));
    }
    out.emplace_back(*label, pairs[i].value);
  }
  return out;
}

absl::Status ReadProtected(const std::vector<std::pair<Label, cbor_item_t*>>& entries, internal::ProtectedHeader* h,
                           Envelope* env) {
  for (const auto& [label, value] : entries) {
    if (label.is_int) {
      if (label.number == kLabelAlg) {
        auto alg = Int(value);
        if (!alg) return absl::InvalidArgumentError("alg is not an integer");
        h->algorithm = SignatureAlgorithmFromCose(*alg);
        if (!h->algorithm) return absl::InvalidArgumentError(internal::Cat("alg ", *alg, " is not allowed"));
      } else if (label.number == kLabelCrit) {
        if (!cbor_isa_array(value) || !cbor_array_is_definite(value)) {
          return absl::InvalidArgumentError("crit is not an array");
        }
        size_t n = cbor_array_size(value);
        if (n > kMaxCriticalEntries) return absl::InvalidArgumentError("crit has too many entries");
        std::vector<std::string> names;
        cbor_item_t** handle = cbor_array_handle(value);
        for (size_t i = 0; i < n; ++i) {
          auto entry = ReadLabel(handle[i]);
          if (!entry.ok()) return entry.status();
          // Notation marks only its own text labels critical; an integer
          // label in crit names something this verifier does not implement.
          if (entry->is_int) {
            return absl::InvalidArgumentError(internal::Cat("critical header ", entry->number, " is not understood"));
          }
          names.push_back(entry->text);
        }
        h->critical = std::move(names);
      } else if (label.number == kLabelContentType) {
        auto cty = ShortText(value, "content type");
        if (!cty.ok()) return cty.status();
        h->content_type = *cty;
      } else if (label.number == kLabelX5Chain) {
        if (auto st = ReadChain(value, env); !st.ok()) return st;
      }
      continue;  // other registered labels (kid, …) are not needed
    }
    const std::string& key = label.text;
    if (key == kHeaderSigningScheme) {
      auto s = ShortText(value, key);
      if (!s.ok()) return s.status();
      h->signing_scheme = *s;
    } else if (key == kHeaderSigningTime || key == kHeaderAuthenticSigningTime || key == kHeaderExpiry) {
      auto t = EpochTime(value, key);
      if (!t.ok()) return t.status();
      (key == kHeaderSigningTime ? h->signing_time : key == kHeaderExpiry ? h->expiry : h->authentic_signing_time) = *t;
    } else if (key == kHeaderVerificationPlugin || key == kHeaderVerificationPluginMinVersion) {
      auto s = ShortText(value, key);
      if (!s.ok()) return s.status();
      (key == kHeaderVerificationPlugin ? h->verification_plugin : h->verification_plugin_min_version) = *s;
    }
    h->extended_present.insert(key);
  }
  return absl::OkStatus();
}

absl::Status ReadUnprotected(const std::vector<std::pair<Label, cbor_item_t*>>& entries, Envelope* env) {
  for (const auto& [label, value] : entries) {
    if (label.is_int) {
      if (label.number == kLabelCrit || label.number == kLabelAlg || label.number == kLabelContentType) {
        return absl::InvalidArgumentError(internal::Cat("header ", label.number, " must be protected"));
      }
      if (label.number == kLabelX5Chain) {
        if (auto st = ReadChain(value, env); !st.ok()) return st;
      }
      continue;
    }
    if (label.text == kHeaderSigningAgent) {
      auto s = ShortText(value, label.text);
      if (!s.ok()) return s.status();
      env->signing_agent = *s;
    } else if (label.text == kHeaderTimestampSignature) {
      if (!IsDefiniteBytes(value) || cbor_bytestring_length(value) == 0 ||
          cbor_bytestring_length(value) > kMaxTimestampBytes) {
        return absl::InvalidArgumentError("timestampSignature is not a bounded byte string");
      }
      env->timestamp_signature = std::string(Bytes(value));
    } else if (internal::IsKnownExtendedHeader(label.text)) {
      // A signed attribute outside the protected bucket is not signed.
      return absl::InvalidArgumentError(internal::Cat("header ", label.text, " must be protected"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> EncodeSigStructure(std::string_view protected_bytes, std::string_view payload) {
  static const unsigned char kEmpty = 0;
  CborPtr array(cbor_new_definite_array(4));
  if (!array) return absl::InternalError("out of memory encoding Sig_structure");
  auto bstr = [](std::string_view b) {
    return cbor_build_bytestring(b.empty() ? &kEmpty : reinterpret_cast<cbor_data>(b.data()), b.size());
  };
  cbor_item_t* parts[] = {cbor_build_string("Signature1"), bstr(protected_bytes), bstr({}), bstr(payload)};
  bool ok = true;
  for (cbor_item_t* part : parts) {
    CborPtr owned(part);  // the array takes its own reference
    ok = ok && owned && cbor_array_push(array.get(), owned.get());
  }
  if (!ok) return absl::InternalError("out of memory encoding Sig_structure");
  unsigned char* buffer = nullptr;
  size_t capacity = 0;
  size_t written = cbor_serialize_alloc(array.get(), &buffer, &capacity);
  std::unique_ptr<unsigned char, MallocDeleter> owned_buffer(buffer);
  if (written == 0) return absl::InternalError("cannot encode Sig_structure");
  return std::string(reinterpret_cast<const char*>(buffer), written);
}

absl::StatusOr<Envelope> ParseCoseEnvelope(std::string_view bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(internal::Cat("the COSE envelope is larger than ", kMaxEnvelopeBytes, " bytes"));
  }
  // The tag is read here, not by libcbor: Debian's libcbor 0.8 rejects tags
  // 6..20 as "unassigned" in its decoder, and 18 is among them. The one-byte
  // head 0xd2 is the only encoding go-cose (notation's COSE library)
  // accepts too.
  if (bytes.empty() || static_cast<unsigned char>(bytes[0]) != kTagCoseSign1Head) {
    return absl::InvalidArgumentError("the COSE envelope is not a tagged COSE_Sign1 (tag 18)");
  }
  auto root = LoadBounded(bytes.substr(1), "the COSE envelope");
  if (!root.ok()) return root.status();
  CborPtr message = *std::move(root);
  if (!cbor_isa_array(message.get()) || !cbor_array_is_definite(message.get()) || cbor_array_size(message.get()) != 4) {
    return absl::InvalidArgumentError("COSE_Sign1 is not an array of four items");
  }
  cbor_item_t** parts = cbor_array_handle(message.get());
  if (!IsDefiniteBytes(parts[0])) return absl::InvalidArgumentError("the COSE protected header is not a byte string");
  if (!IsDefiniteBytes(parts[2])) return absl::InvalidArgumentError("the COSE payload is not a byte string (detached?)");
  if (!IsDefiniteBytes(parts[3])) return absl::InvalidArgumentError("the COSE signature is not a byte string");

  std::string_view protected_bytes = Bytes(parts[0]);
  if (protected_bytes.size() > kMaxProtectedHeaderBytes) {
    return absl::InvalidArgumentError("the protected header is too large");
  }
  Envelope env;
  env.media_type = std::string(kCoseMediaType);
  internal::ProtectedHeader h;
  // RFC 9052 §3: an empty protected bucket is a zero-length string; it then
  // lacks alg, which FinishProtectedHeader reports.
  CborPtr protected_map;
  std::vector<std::pair<Label, cbor_item_t*>> protected_entries;
  if (!protected_bytes.empty()) {
    auto loaded = LoadBounded(protected_bytes, "the protected header");
    if (!loaded.ok()) return loaded.status();
    protected_map = *std::move(loaded);
    auto entries = ReadHeaderMap(protected_map.get(), "protected");
    if (!entries.ok()) return entries.status();
    protected_entries = *std::move(entries);
  }
  auto unprotected_entries = ReadHeaderMap(parts[1], "unprotected");
  if (!unprotected_entries.ok()) return unprotected_entries.status();
  std::set<Label> protected_labels;
  for (const auto& entry : protected_entries) protected_labels.insert(entry.first);
  for (const auto& [label, value] : *unprotected_entries) {
    if (protected_labels.contains(label)) {
      return absl::InvalidArgumentError(internal::Cat("header ", label.Describe(), " is in both header buckets"));
    }
  }
  if (auto st = ReadProtected(protected_entries, &h, &env); !st.ok()) return st;
  if (auto st = ReadUnprotected(*unprotected_entries, &env); !st.ok()) return st;
  if (auto st = internal::FinishProtectedHeader(h, &env); !st.ok()) return st;
  if (env.certificate_chain.empty()) return absl::InvalidArgumentError("the COSE envelope has no x5chain");
  if (cbor_bytestring_length(parts[3]) == 0) return absl::InvalidArgumentError("the COSE signature is empty");

  env.payload = std::string(Bytes(parts[2]));
  env.signature = std::string(Bytes(parts[3]));
  auto to_be_signed = EncodeSigStructure(protected_bytes, env.payload);
  if (!to_be_signed.ok()) return to_be_signed.status();
  env.signed_bytes = *std::move(to_be_signed);
  return env;
}

}  // namespace pullsentry::notation
