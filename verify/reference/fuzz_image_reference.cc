// libFuzzer target: ParseNormalized on arbitrary bytes, with the invariants the
// policy, the tag ledger and the registry client rely on. A broken invariant
// aborts, so the fuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "verify/reference/image_reference.h"

namespace {

using pullsentry::reference::ImageReference;
using pullsentry::reference::IsValidDigest;
using pullsentry::reference::kMaxReferenceLength;
using pullsentry::reference::ParseNormalized;

void Check(bool ok) {
  if (!ok) std::abort();
}

// What every accepted reference must satisfy, with or without a default tag.
void CheckAccepted(std::string_view text, const ImageReference& ref, bool default_tag) {
  Check(text.size() <= kMaxReferenceLength);
  Check(!ref.domain.empty() && !ref.path.empty());
  Check(ref.Name().size() <= 255);
  Check(!ref.HasDigest() || IsValidDigest(ref.digest));
  Check(!default_tag || ref.HasTag() || ref.HasDigest());
  // Docker Hub names are always spelled in full.
  Check(ref.domain != "index.docker.io" && ref.domain != "registry-1.docker.io");
  Check(ref.domain != "docker.io" || ref.path.find('/') != std::string::npos);

  // The canonical spelling is a fixed point: it parses again to the same value.
  auto again = ParseNormalized(ref.String(), default_tag);
  Check(again.ok() && *again == ref && again->String() == ref.String());

  // The name alone is a reference of its own, with neither tag nor digest.
  auto name = ParseNormalized(ref.Name(), /*default_tag=*/false);
  Check(name.ok() && name->domain == ref.domain && name->path == ref.path && !name->HasTag() && !name->HasDigest());

  if (ref.HasTag()) {
    auto tagged = ParseNormalized(ref.NameWithTag(), /*default_tag=*/false);
    Check(tagged.ok() && tagged->tag == ref.tag && tagged->Name() == ref.Name() && !tagged->HasDigest());
  }
  if (ref.HasDigest()) {
    auto pinned = ParseNormalized(ref.NameWithDigest(ref.digest), /*default_tag=*/true);
    Check(pinned.ok() && pinned->digest == ref.digest && pinned->Name() == ref.Name() && !pinned->HasTag());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto with_tag = ParseNormalized(text, /*default_tag=*/true);
  auto without_tag = ParseNormalized(text, /*default_tag=*/false);
  // The default tag changes the tag only, never whether the text is valid.
  Check(with_tag.ok() == without_tag.ok());
  if (with_tag.ok()) {
    CheckAccepted(text, *with_tag, true);
    CheckAccepted(text, *without_tag, false);
    ImageReference expected = *without_tag;
    if (!expected.HasTag() && !expected.HasDigest()) expected.tag = "latest";
    Check(*with_tag == expected);
  } else {
    // Error messages quote at most a bounded prefix of the input.
    Check(with_tag.status().message().size() < 512);
  }
  (void)pullsentry::reference::IsImageId(text);
  (void)IsValidDigest(text);
  return 0;
}
