#include "plugin/cli/policy_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plugin/cli/policy_import_command.h"
#include "plugin/cli/verify_command.h"
#include "trust/containers_policy.h"
#include "trust/containers_policy_lint.h"
#include "trust/native_policy.h"
#include "trust/native_policy_lint.h"
#include "trust/notation_import.h"
#include "trust/policy_file.h"
#include "verify/pipeline/image_verifier.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::cli {
namespace {

constexpr char kPolicyUsage[] = R"(Usage: pullsentry policy lint FILE [--strict] [--output text|json] [flags]
       pullsentry policy explain IMAGE --policy FILE [flags]

  lint       report every problem in a policy file (pullsentry's own format or
             containers-policy.json(5)), each with its JSON pointer and
             line:column. Exit 0 no errors (warnings are printed), 1 errors
             (the policy would not load) or, with --strict, warnings; 2 usage
             error or unreadable FILE.
  explain    show which scope applies to IMAGE and why, its requirements and
             keys; with --verify also verify IMAGE at its registry.
)";

constexpr char kLintUsage[] = R"(Usage: pullsentry policy lint FILE [--strict] [--output text|json] [flags]

Reports every problem in a policy as FILE:LINE:COL: error|warning:
JSON-POINTER: message. A file with a top-level "version" member is read as
pullsentry's own format (pullsentry-policy(5)), any other as
containers-policy.json(5). Errors are what stops pullsentryd from loading the
policy; warnings are for a policy that loads but probably does not do what was
meant, or is not finished rolling out.
  pullsentry format: unused verifiers, keyless and notation verifiers (not
    verifiable yet: they refuse), scopes that can never win, requirements met
    by "accept", warn and audit modes, break-glass entries that have expired
    or expire more than 30 days ahead.
  containers-policy.json: scopes that can never match, a nested scope that
    accepts anything inside a signed one, transports other than docker, a
    default of insecureAcceptAnything.

  --strict              exit 1 on warnings too
  --output text|json    findings format (default text)
  --trust-store DIR     where "keys" names are found (default /etc/pullsentry)
  --now TIME            judge break-glass expiry at this RFC 3339 time instead
                        of the clock (for tests and reviews)

Exit 0 no errors, 1 errors (or warnings with --strict), 2 usage error or
unreadable FILE.
)";

constexpr char kExplainUsage[] = R"(Usage: pullsentry policy explain IMAGE --policy FILE [flags]

Shows which scope of the policy applies to IMAGE and why, the requirements
with their keys and identity rules; for pullsentry's own format also the
namespace override, the mode and the break-glass status of a digest. With
--verify, verifies IMAGE at its registry and prints the verdict and checks.

  --policy FILE              the policy, in pullsentry's format or containers-policy.json(5)
                             (default /etc/pullsentry/policy.json)
  --namespace NS             the pod's Kubernetes namespace: its override applies (containers-
                             policy.json has no namespace overrides)
  --trust-store DIR          where "keys" names are found (default /etc/pullsentry)
  --digest DIGEST            report break-glass status for this digest (default: IMAGE's digest;
                             with --verify, the digest the registry resolved is what counts)
  --now TIME                 judge break-glass expiry at this RFC 3339 time instead of the clock
  --verify                   also run the verification pullsentryd would run
  --insecure-registry HOST   reach HOST[:PORT] over plain HTTP (repeatable; with --verify)
  --auth-file FILE           registry credentials (with --verify)
  --timeout SECONDS          give up verifying after this long (default 60)
  --output text|json         format (default text)

Exit 0 explained (and, with --verify, admitted), 1 refused or undecided, 2
usage error or a policy that does not load.
)";

int UsageError(const std::string& command, const std::string& error, const char* usage) {
  std::cerr << "pullsentry policy" << (command.empty() ? "" : " " + command) << ": " << error << "\n" << usage;
  return kExitUsage;
}

// ---------------------------------------------------------------- lint

// Reads FILE whole, at most one byte past the policy bound so that the
// linter reports an oversize policy itself.
bool ReadPolicyText(const std::string& path, std::string& text, std::string& error) {
  // O_NONBLOCK: a FIFO named by mistake must not hang.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return false;
  }
  text.resize(trust::kMaxPolicyBytes + 1);
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return true;
}

std::string BaseDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// --now: an RFC 3339 time, or the wall clock when not given. Only the CLI
// reads the clock; the library takes `now` as an argument.
bool ParseNow(const std::string& text, std::chrono::system_clock::time_point& now) {
  if (text.empty()) {
    now = std::chrono::system_clock::now();
    return true;
  }
  auto parsed = trust::ParsePolicyTime(text);
  if (!parsed.has_value()) return false;
  now = *parsed;
  return true;
}

int RunLint(const std::vector<std::string>& args) {
  std::string path;
  bool strict = false;
  std::string output = "text";
  std::string trust_store = "/etc/pullsentry";
  std::string now_text;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kLintUsage;
      return 0;
    }
    if (arg == "--strict") {
      strict = true;
    } else if (arg == "--output") {
      if (i + 1 >= args.size()) return UsageError("lint", "--output needs a value", kLintUsage);
      output = args[++i];
      if (output != "text" && output != "json") return UsageError("lint", "--output wants text or json", kLintUsage);
    } else if (arg == "--trust-store" || arg == "--now") {
      if (i + 1 >= args.size()) return UsageError("lint", arg + " needs a value", kLintUsage);
      (arg == "--now" ? now_text : trust_store) = args[++i];
    } else if (arg.starts_with("--")) {
      return UsageError("lint", "unknown flag " + arg, kLintUsage);
    } else if (path.empty()) {
      path = arg;
    } else {
      return UsageError("lint", "more than one file given", kLintUsage);
    }
  }
  if (path.empty()) return UsageError("lint", "no policy file given", kLintUsage);
  std::chrono::system_clock::time_point now;
  if (!ParseNow(now_text, now)) {
    return UsageError("lint", "--now wants an RFC 3339 time such as 2026-12-01T00:00:00Z", kLintUsage);
  }

  std::string text;
  std::string error;
  if (!ReadPolicyText(path, text, error)) {
    std::cerr << "pullsentry policy lint: " << path << ": " << error << "\n";
    return kExitUsage;
  }
  absl::StatusOr<trust::PolicyFormat> format = trust::DetectPolicyFormat(text);
  bool notation = format.ok() && *format == trust::PolicyFormat::kNotation;
  bool native = !notation && trust::LooksLikeNativePolicy(text);
  std::vector<trust::LintFinding> findings;
  if (notation) {
    // A Notation trust policy is checked by converting it as the daemon does.
    absl::StatusOr<trust::NotationImport> converted = trust::ImportNotationTrustPolicy(text);
    if (!converted.ok()) {
      findings.push_back({trust::LintFinding::Severity::kError, "", 0, 0, std::string(converted.status().message())});
    } else {
      for (const std::string& warning : converted->warnings)
        findings.push_back({trust::LintFinding::Severity::kWarning, "", 0, 0, warning});
    }
  } else if (native) {
    trust::NativePolicyOptions options;
    options.base_dir = BaseDir(path);
    options.trust_store_dir = trust_store;
    findings = trust::LintNativePolicy(text, options, now);
  } else {
    findings = trust::LintContainersPolicy(text, BaseDir(path));
  }
  size_t errors = 0;
  size_t warnings = 0;
  for (const trust::LintFinding& f : findings) (f.severity == trust::LintFinding::Severity::kError ? errors : warnings)++;

  if (output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const trust::LintFinding& f : findings) {
      list.push_back({{"severity", f.severity == trust::LintFinding::Severity::kError ? "error" : "warning"},
                      {"pointer", f.pointer},
                      {"line", f.line},
                      {"column", f.column},
                      {"message", f.message}});
    }
    nlohmann::json doc = {{"version", 1},        {"file", path},         {"errors", errors},
                          {"warnings", warnings}, {"findings", list}};
    if (native) doc["format"] = "native";
    if (notation) doc["format"] = "notation";
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    for (const trust::LintFinding& f : findings) {
      std::cout << path;
      if (f.line > 0) std::cout << ":" << f.line << ":" << f.column;
      std::cout << ": " << (f.severity == trust::LintFinding::Severity::kError ? "error" : "warning") << ": ";
      if (!f.pointer.empty()) std::cout << f.pointer << ": ";
      std::cout << f.message << "\n";
    }
    if (findings.empty()) {
      std::cout << path << ": OK\n";
    } else {
      std::cout << path << ": " << errors << (errors == 1 ? " error, " : " errors, ") << warnings
                << (warnings == 1 ? " warning" : " warnings") << "\n";
    }
  }
  if (errors > 0 || (strict && warnings > 0)) return 1;
  return 0;
}

// ---------------------------------------------------------------- explain (containers-policy.json)

const char* TypeName(trust::Requirement::Type type) {
  switch (type) {
    case trust::Requirement::Type::kInsecureAcceptAnything: return "insecureAcceptAnything";
    case trust::Requirement::Type::kReject: return "reject";
    case trust::Requirement::Type::kSigstoreSigned: return "sigstoreSigned";
  }
  return "?";
}

// The signedIdentity form, and what it demands of a signature for `image`
// (policy_reference_match.go semantics, as trust::CheckSignedIdentity).
std::pair<std::string, std::string> DescribeIdentity(const trust::SignedIdentity& id,
                                                     const reference::ImageReference& image) {
  using Kind = trust::SignedIdentity::Kind;
  std::string exact = image.HasDigest() ? image.NameWithDigest(image.digest) : image.NameWithTag();
  switch (id.kind) {
    case Kind::kMatchRepoDigestOrExact:
      if (image.HasDigest()) {
        return {"matchRepoDigestOrExact",
                "the image is pulled by digest, so the signature must name the repository " + image.Name() +
                    " (any tag or digest)"};
      }
      return {"matchRepoDigestOrExact", "the signature must name exactly " + exact};
    case Kind::kMatchExact: return {"matchExact", "the signature must name exactly " + exact};
    case Kind::kMatchRepository:
      return {"matchRepository", "the signature must name the repository " + image.Name() + " (any tag or digest)"};
    case Kind::kExactReference:
      return {"exactReference", "the signature must name exactly " + id.docker_reference};
    case Kind::kExactRepository:
      return {"exactRepository",
              "the signature must name the repository " + id.docker_repository + " (any tag or digest)"};
    case Kind::kRemapIdentity:
      return {"remapIdentity", "an image under " + id.prefix + " is matched as if under " + id.signed_prefix +
                                   ", then as matchRepoDigestOrExact"};
  }
  return {"?", ""};
}

// Why the matched scope was picked.
std::string Rule(const trust::ExplainedScopeMatch& m, const reference::ImageReference& image) {
  const std::string& scope = m.match.scope;
  if (scope == "(default)") {
    return "global default: no docker scope in the policy matches the image and the docker transport has no "
           "default \"\"";
  }
  if (scope.empty()) return "docker transport default \"\": no docker scope in the policy matches the image";
  if (!m.candidates.empty() && scope == m.candidates.front().scope && (image.HasTag() || image.HasDigest()) &&
      scope != image.Name()) {
    return image.HasDigest() ? "exact reference by digest (the most specific scope there is)"
                             : "exact reference by tag (the most specific scope there is)";
  }
  if (scope == image.Name()) return "repository: no scope for the exact reference, the repository is next";
  if (scope.starts_with("*.")) return "wildcard domain: no repository, namespace or host scope matches";
  if (scope.find('/') != std::string::npos) {
    return "parent namespace: the longest namespace of the repository that the policy names";
  }
  return "registry host: no repository or namespace scope matches";
}

// ---------------------------------------------------------------- explain (native)

struct ExplainRequest {
  std::string policy_path;
  std::string output;
  std::string ns;
  bool verify = false;
  std::string trust_store;
  std::string digest;
  std::chrono::system_clock::time_point now;
  registry::RegistryOptions registry_options;
  int timeout_seconds = 60;
};

std::string_view NativeIdentityName(trust::SignedIdentity::Kind kind) {
  using Kind = trust::SignedIdentity::Kind;
  switch (kind) {
    case Kind::kMatchRepoDigestOrExact: return "repoDigestOrExact";
    case Kind::kMatchExact: return "exact";
    case Kind::kMatchRepository: return "repository";
    case Kind::kExactReference: return "exactReference";
    case Kind::kExactRepository: return "exactRepository";
    case Kind::kRemapIdentity: return "remap";
  }
  return "?";
}

// What the identity rule demands of a signature for `image`, in the native
// format's words.
std::string NativeIdentityMeaning(const trust::SignedIdentity& id, const reference::ImageReference& image) {
  using Kind = trust::SignedIdentity::Kind;
  if (id.kind == Kind::kRemapIdentity) {
    std::string name = image.Name();
    std::string remapped = name;
    if (name == id.prefix || name.starts_with(id.prefix + "/")) remapped = id.signed_prefix + name.substr(id.prefix.size());
    return "images under " + id.prefix + " are signed as under " + id.signed_prefix + ": the signature must name " +
           (image.HasDigest() ? "the repository " + remapped : remapped + ":" + image.tag);
  }
  if (id.kind == Kind::kMatchRepoDigestOrExact || id.kind == Kind::kMatchExact || id.kind == Kind::kMatchRepository ||
      id.kind == Kind::kExactReference || id.kind == Kind::kExactRepository) {
    return DescribeIdentity(id, image).second;
  }
  return "";
}

// Each verifier once, in the order the requirement names them.
void CollectVerifiers(const trust::RequirementNode& node, std::vector<const trust::Verifier*>& out) {
  if (node.kind == trust::RequirementNode::Kind::kVerifier) {
    for (const trust::Verifier* v : out)
      if (v == node.verifier.get()) return;
    out.push_back(node.verifier.get());
    return;
  }
  for (const trust::RequirementNode& child : node.children) CollectVerifiers(child, out);
}

std::string ModeMeaning(trust::PolicyMode mode) {
  switch (mode) {
    case trust::PolicyMode::kEnforce: return "an image that fails the requirement is refused";
    case trust::PolicyMode::kWarn: return "an image that fails the requirement is admitted, logged and counted";
    case trust::PolicyMode::kAudit: return "an image that fails the requirement is admitted and only recorded";
  }
  return "";
}

std::string MatcherText(const trust::Verifier::Matcher& m) { return m.text + (m.is_regex ? " (regex, whole value)" : " (exact)"); }

// The native policy behind `path`: pullsentry's format as it is, or a Notation
// trust policy converted as the daemon converts it.
absl::StatusOr<std::shared_ptr<const trust::NativePolicy>> LoadNativeForExplain(const std::string& path,
                                                                             const std::string& trust_store) {
  trust::PolicyLoadOptions options;
  options.trust_store_dir = trust_store;
  auto file = trust::LoadPolicyFile(path, options);
  if (!file.ok()) return file.status();
  if (!(*file)->native) return absl::InvalidArgumentError(path + " is not in pullsentry's format");
  return (*file)->native;
}

int ExplainNative(const ExplainRequest& req, const reference::ImageReference& image) {
  auto loaded = LoadNativeForExplain(req.policy_path, req.trust_store);
  if (!loaded.ok()) {
    std::cerr << "pullsentry policy explain: cannot load policy: " << loaded.status().message()
              << "\n(run 'pullsentry policy lint " << req.policy_path;
    if (req.trust_store != "/etc/pullsentry") std::cerr << " --trust-store " << req.trust_store;
    std::cerr << "' for every problem)\n";
    return kExitUsage;
  }
  const trust::NativePolicy& policy = **loaded;
  std::optional<std::string_view> ns;
  if (!req.ns.empty()) ns = req.ns;
  trust::ResolvedRule rule = policy.Resolve(image, ns);
  const trust::NativeScope& scope = *rule.scope;

  std::string ns_text;
  if (req.ns.empty()) {
    ns_text = "(none given): the scope's own rule applies";
  } else if (!rule.applied_namespace.empty()) {
    ns_text = req.ns + ": override " + scope.namespaces.find(rule.applied_namespace)->second.pointer + " applies";
  } else {
    ns_text = req.ns + ": the scope has no override for it; its own rule applies";
  }
  std::string mode_source = scope.kind == trust::ScopeKind::kDefault ? "the default rule" : "the scope";
  if (!rule.applied_namespace.empty() && scope.namespaces.find(rule.applied_namespace)->second.mode.has_value()) {
    mode_source = "the override for namespace " + rule.applied_namespace;
  }

  std::vector<const trust::Verifier*> verifiers;
  CollectVerifiers(*rule.requirement, verifiers);

  std::string digest = req.digest;
  if (digest.empty() && image.HasDigest()) digest = image.digest;
  std::optional<trust::BreakGlassCheck> glass;
  if (!digest.empty()) glass = policy.CheckBreakGlass(digest, req.now);

  // Without --verify, what can be said before looking at any signature.
  std::string outlook;
  std::string on_failure;
  switch (rule.mode) {
    case trust::PolicyMode::kEnforce: on_failure = "the pull is refused"; break;
    case trust::PolicyMode::kWarn: on_failure = "the pull is admitted with a warning (warn)"; break;
    case trust::PolicyMode::kAudit: on_failure = "the pull is admitted and recorded (audit)"; break;
  }
  if (glass.has_value() && glass->active) {
    outlook = "admitted through break-glass, whatever the signatures";
  } else if (!rule.unsupported.empty()) {
    outlook = "the requirement can never hold (verifier type " +
              std::string(trust::VerifierTypeName(policy.verifiers().at(rule.unsupported.front())->type)) +
              " is not supported yet), so " + on_failure;
  } else if (trust::Evaluate(*rule.requirement, {}).satisfied) {
    outlook = "admitted: the requirement holds without any signature";
  } else if (trust::LeafOutcomes all_signed; [&] {
               for (const trust::Verifier* v : verifiers) all_signed[v->name].state = trust::LeafOutcome::State::kSatisfied;
               return !trust::Evaluate(*rule.requirement, all_signed).satisfied;
             }()) {
    outlook = "the requirement never holds, whatever the signatures, so " + on_failure;
  } else {
    outlook = "admitted if the signatures satisfy the requirement; if not, " + on_failure;
  }

  // --verify: the decision pullsentryd would make, break-glass expiry judged
  // at --now when given.
  std::optional<absl::StatusOr<verify::Verdict>> verdict;
  if (req.verify) {
    auto now = req.now;
    verify::ImageVerifier verifier(registry::NewCurlRegistryClient(req.registry_options), [now] { return now; });
    registry::PullContext context;
    context.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(req.timeout_seconds);
    verdict = verifier.Verify(policy, image, ns, context);
  }
  verify::Verdict result;
  if (verdict.has_value()) {
    if (verdict->ok()) {
      result = **verdict;
    } else {
      result.image = image.String();
      result.scope = scope.pattern;
      result.reason = "cannot verify: " + std::string(verdict->status().message());
    }
  }
  const int exit_code = verdict.has_value() && !result.admitted ? kExitRefused : 0;

  auto glass_text = [&]() -> std::string {
    if (digest.empty()) return "no digest given (pass --digest, or an IMAGE with @sha256:...)";
    if (glass->entry == nullptr) return "no entry for " + digest;
    return std::string(glass->active ? "ACTIVE: " : "expired: ") + glass->message;
  };

  if (req.output == "json") {
    nlohmann::json doc;
    doc["version"] = 1;
    doc["image"] = image.String();
    doc["policy"] = req.policy_path;
    doc["format"] = "native";
    doc["policyHash"] = policy.Hash();
    doc["namespace"] = {{"name", req.ns}, {"applied", rule.applied_namespace}};
    doc["scope"] = {{"match", scope.pattern},
                    {"kind", std::string(trust::ScopeKindName(scope.kind))},
                    {"pointer", scope.pointer},
                    {"why", rule.why}};
    doc["mode"] = std::string(trust::PolicyModeName(rule.mode));
    doc["requirement"] = trust::DescribeRequirement(*rule.requirement);
    nlohmann::json list = nlohmann::json::array();
    for (const trust::Verifier* v : verifiers) {
      nlohmann::json entry = {{"name", v->name},
                              {"type", std::string(trust::VerifierTypeName(v->type))},
                              {"pointer", v->pointer},
                              {"supported", v->Supported()}};
      if (v->type == trust::Verifier::Type::kCosignKey) {
        nlohmann::json keys = nlohmann::json::array();
        for (const trust::NamedKey& k : v->keys) {
          keys.push_back({{"source", k.source}, {"algorithm", k.key->Description()}, {"fingerprint", k.key->Fingerprint()}});
        }
        entry["keys"] = keys;
      }
      if (v->type == trust::Verifier::Type::kKeyless) {
        entry["issuer"] = {{"value", v->issuer.text}, {"regex", v->issuer.is_regex}};
        entry["subject"] = {{"value", v->subject.text}, {"regex", v->subject.is_regex}};
        entry["trustedRoot"] = v->trusted_root;
      }
      if (v->type == trust::Verifier::Type::kNotation) entry["trustPolicy"] = v->trust_policy;
      if (v->type != trust::Verifier::Type::kAccept && v->type != trust::Verifier::Type::kReject) {
        const trust::SignedIdentity& id = trust::EffectiveIdentity(rule, *v);
        entry["identity"] = {{"type", std::string(NativeIdentityName(id.kind))},
                             {"from", v->identity.has_value() ? "verifier" : "scope"},
                             {"meaning", NativeIdentityMeaning(id, image)}};
      }
      list.push_back(entry);
    }
    doc["verifiers"] = list;
    nlohmann::json bg = {{"digest", digest}};
    if (glass.has_value() && glass->entry != nullptr) {
      bg["entry"] = {{"pointer", glass->entry->pointer}, {"reason", glass->entry->reason}, {"expires", glass->entry->expires_text}};
      bg["active"] = glass->active;
      bg["message"] = glass->message;
    } else {
      bg["active"] = false;
    }
    doc["breakGlass"] = bg;
    doc["outlook"] = outlook;
    if (verdict.has_value()) {
      doc["verdict"] = {{"admitted", result.admitted}, {"digest", result.digest}, {"scope", result.scope},
                        {"mode", result.mode},         {"action", result.action}, {"reason", result.reason},
                        {"checks", result.checks},     {"decided", verdict->ok()}};
    }
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return exit_code;
  }

  std::cout << "image:       " << image.String() << "\n";
  std::cout << "policy:      " << req.policy_path << " (pullsentry policy, version 1)\n";
  std::cout << "namespace:   " << ns_text << "\n";
  std::cout << "scope:       " << scope.pattern << " (" << trust::ScopeKindName(scope.kind) << ", "
            << scope.pointer << ")\n";
  std::cout << "why:         " << rule.why << "\n";
  std::cout << "mode:        " << trust::PolicyModeName(rule.mode) << " (from " << mode_source
            << "): " << ModeMeaning(rule.mode) << "\n";
  std::cout << "requirement: " << trust::DescribeRequirement(*rule.requirement) << "\n";
  std::cout << "verifiers:\n";
  for (const trust::Verifier* v : verifiers) {
    std::cout << "  " << v->name << " (" << trust::VerifierTypeName(v->type);
    if (!v->pointer.empty()) std::cout << ", " << v->pointer;
    std::cout << ")";
    switch (v->type) {
      case trust::Verifier::Type::kAccept: std::cout << ": built in, always holds: no verification\n"; continue;
      case trust::Verifier::Type::kReject: std::cout << ": built in, never holds\n"; continue;
      case trust::Verifier::Type::kKeyless:
      case trust::Verifier::Type::kNotation:
        std::cout << ": NOT VERIFIABLE YET: a requirement that names it never holds\n";
        break;
      case trust::Verifier::Type::kCosignKey: std::cout << "\n"; break;
    }
    if (v->type == trust::Verifier::Type::kCosignKey) {
      std::cout << "    keys (a signature by any one suffices):\n";
      for (const trust::NamedKey& k : v->keys) {
        std::cout << "      " << k.source << "  " << k.key->Description() << "  " << k.key->Fingerprint() << "\n";
      }
    } else if (v->type == trust::Verifier::Type::kKeyless) {
      std::cout << "    issuer:       " << MatcherText(v->issuer) << "\n";
      std::cout << "    subject:      " << MatcherText(v->subject) << "\n";
      std::cout << "    trusted root: " << v->trusted_root << "\n";
    } else {
      std::cout << "    trust policy: " << v->trust_policy << "\n";
    }
    const trust::SignedIdentity& id = trust::EffectiveIdentity(rule, *v);
    std::cout << "    identity:     " << NativeIdentityName(id.kind) << " (from the "
              << (v->identity.has_value() ? "verifier" : "scope") << "): " << NativeIdentityMeaning(id, image) << "\n";
  }
  std::cout << "break-glass: " << glass_text() << "\n";
  std::cout << "outlook:     " << outlook << "\n";
  if (verdict.has_value()) {
    std::cout << "verdict:     " << (result.admitted ? "ADMITTED" : "REFUSED");
    if (!result.action.empty()) std::cout << " [" << result.action << "]";
    if (!result.digest.empty()) std::cout << " (" << result.digest << ")";
    std::cout << ": " << result.reason << "\n";
    for (const std::string& check : result.checks) std::cout << "  - " << check << "\n";
  }
  return exit_code;
}

// ---------------------------------------------------------------- explain

int RunExplain(const std::vector<std::string>& args) {
  std::string image_text;
  std::string policy_path = "/etc/pullsentry/policy.json";
  std::string output = "text";
  std::string ns;
  bool verify = false;
  int timeout_seconds = 60;
  registry::RegistryOptions registry_options;
  std::string trust_store = "/etc/pullsentry";
  std::string digest;
  std::string now_text;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kExplainUsage;
      return 0;
    }
    if (arg == "--verify") {
      verify = true;
    } else if (arg.starts_with("--")) {
      if (i + 1 >= args.size()) return UsageError("explain", arg + " needs a value", kExplainUsage);
      const std::string& value = args[++i];
      if (arg == "--policy") {
        policy_path = value;
      } else if (arg == "--namespace") {
        ns = value;
      } else if (arg == "--trust-store") {
        trust_store = value;
      } else if (arg == "--digest") {
        if (!reference::IsValidDigest(value)) {
          return UsageError("explain", "--digest wants sha256:<64 lowercase hex>", kExplainUsage);
        }
        digest = value;
      } else if (arg == "--now") {
        now_text = value;
      } else if (arg == "--insecure-registry") {
        registry_options.insecure_registries.insert(value);
      } else if (arg == "--auth-file") {
        registry_options.auth_file = value;
      } else if (arg == "--output") {
        if (value != "text" && value != "json") return UsageError("explain", "--output wants text or json", kExplainUsage);
        output = value;
      } else if (arg == "--timeout") {
        try {
          timeout_seconds = std::stoi(value);
        } catch (...) {
          timeout_seconds = 0;
        }
        if (timeout_seconds <= 0) return UsageError("explain", "--timeout wants a positive number", kExplainUsage);
      } else {
        return UsageError("explain", "unknown flag " + arg, kExplainUsage);
      }
    } else if (image_text.empty()) {
      image_text = arg;
    } else {
      return UsageError("explain", "more than one image given", kExplainUsage);
    }
  }
  if (image_text.empty()) return UsageError("explain", "no image given", kExplainUsage);
  absl::StatusOr<reference::ImageReference> image = reference::ParseNormalized(image_text);
  if (!image.ok()) return UsageError("explain", std::string(image.status().message()), kExplainUsage);
  ExplainRequest request;
  if (!ParseNow(now_text, request.now)) {
    return UsageError("explain", "--now wants an RFC 3339 time such as 2026-12-01T00:00:00Z", kExplainUsage);
  }
  {
    std::string text;
    std::string error;
    if (ReadPolicyText(policy_path, text, error) && trust::LooksLikeNativePolicy(text)) {
      request.policy_path = policy_path;
      request.output = output;
      request.ns = ns;
      request.verify = verify;
      request.trust_store = trust_store;
      request.digest = digest;
      request.registry_options = registry_options;
      request.timeout_seconds = timeout_seconds;
      return ExplainNative(request, *image);
    }
  }
  auto policy = trust::ContainersPolicy::Load(policy_path);
  if (!policy.ok()) {
    std::cerr << "pullsentry policy explain: cannot load policy: " << policy.status().message()
              << "\n(run 'pullsentry policy lint " << policy_path << "' for every problem)\n";
    return kExitUsage;
  }

  trust::ExplainedScopeMatch explained = (*policy)->MatchExplained(*image);
  const std::string& matched = explained.match.scope;
  bool has_docker_default = (*policy)->DockerDefault() != nullptr;
  const std::string rule = Rule(explained, *image);
  constexpr char kNoOverrides[] = "no namespace overrides in containers-policy.json";

  // Every scope the lookup could consult, in order, with what happened to it.
  struct Considered {
    std::string scope;
    std::string status;
  };
  std::vector<Considered> considered;
  bool passed = false;
  auto add = [&](const std::string& scope, bool in_policy) {
    std::string status;
    if (scope == matched) {
      status = "matched";
      passed = true;
    } else if (!in_policy) {
      status = "not in policy";
    } else {
      status = passed ? "in policy, less specific: not used" : "in policy";  // cannot happen before the match
    }
    considered.push_back({scope, status});
  };
  for (const trust::ScopeCandidate& c : explained.candidates) add(c.scope, c.in_policy);
  add("", has_docker_default);
  add("(default)", true);

  std::optional<absl::StatusOr<verify::Verdict>> verdict;
  if (verify) {
    verify::ImageVerifier verifier(registry::NewCurlRegistryClient(registry_options));
    registry::PullContext context;
    context.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    verdict = verifier.Verify(**policy, *image, context);
  }
  verify::Verdict result;
  if (verdict.has_value()) {
    if (verdict->ok()) {
      result = **verdict;
    } else {
      result.image = image->String();
      result.scope = matched;
      result.reason = "cannot verify: " + std::string(verdict->status().message());
    }
  }

  if (output == "json") {
    nlohmann::json doc;
    doc["version"] = 1;
    doc["image"] = image->String();
    doc["policy"] = policy_path;
    doc["namespace"] = {{"name", ns}, {"overrides", nlohmann::json::array()}, {"note", kNoOverrides}};
    nlohmann::json list = nlohmann::json::array();
    for (const Considered& c : considered) list.push_back({{"scope", c.scope}, {"status", c.status}});
    doc["scope"] = {{"matched", matched}, {"rule", rule}, {"considered", list}};
    nlohmann::json reqs = nlohmann::json::array();
    for (const trust::Requirement& r : *explained.match.requirements) {
      nlohmann::json req = {{"type", TypeName(r.type)}};
      if (r.type == trust::Requirement::Type::kSigstoreSigned) {
        nlohmann::json keys = nlohmann::json::array();
        for (const trust::NamedKey& k : r.keys) {
          keys.push_back({{"source", k.source}, {"algorithm", k.key->Description()}, {"fingerprint", k.key->Fingerprint()}});
        }
        auto [form, meaning] = DescribeIdentity(r.signed_identity, *image);
        req["keys"] = keys;
        req["signedIdentity"] = {{"type", form}, {"meaning", meaning}};
      }
      reqs.push_back(req);
    }
    doc["requirements"] = reqs;
    if (verdict.has_value()) {
      doc["verdict"] = {{"admitted", result.admitted}, {"digest", result.digest}, {"scope", result.scope},
                        {"reason", result.reason},     {"checks", result.checks}, {"decided", verdict->ok()}};
    }
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "image:      " << image->String() << "\n";
    std::cout << "policy:     " << policy_path << " (containers-policy.json)\n";
    std::cout << "namespace:  " << (ns.empty() ? "(none given)" : ns) << ": " << kNoOverrides << "\n";
    std::cout << "scope:      " << (matched.empty() ? "\"\"" : matched) << "\n";
    std::cout << "rule:       " << rule << "\n";
    std::cout << "considered, most specific first (the first scope in the policy wins):\n";
    for (const Considered& c : considered) {
      std::string shown = c.scope.empty() ? "\"\" (docker transport default)"
                          : c.scope == "(default)" ? "(default) (global default)"
                                                   : c.scope;
      std::cout << (c.scope == matched ? "  > " : "    ") << shown;
      std::cout << std::string(shown.size() < 48 ? 48 - shown.size() : 1, ' ') << c.status << "\n";
    }
    std::cout << "requirements (all must hold):\n";
    int n = 0;
    for (const trust::Requirement& r : *explained.match.requirements) {
      std::cout << "  " << ++n << ". " << TypeName(r.type);
      if (r.type == trust::Requirement::Type::kReject) std::cout << ": every image is refused";
      if (r.type == trust::Requirement::Type::kInsecureAcceptAnything) {
        std::cout << ": every image is admitted without verification";
      }
      std::cout << "\n";
      if (r.type != trust::Requirement::Type::kSigstoreSigned) continue;
      std::cout << "     keys (a signature by any one suffices):\n";
      for (const trust::NamedKey& k : r.keys) {
        std::cout << "       " << k.source << "  " << k.key->Description() << "  " << k.key->Fingerprint() << "\n";
      }
      auto [form, meaning] = DescribeIdentity(r.signed_identity, *image);
      std::cout << "     signedIdentity: " << form << ": " << meaning << "\n";
    }
    if (verdict.has_value()) {
      std::cout << "verdict:    " << (result.admitted ? "ADMITTED" : "REFUSED");
      if (!result.digest.empty()) std::cout << " (" << result.digest << ")";
      std::cout << ": " << result.reason << "\n";
      for (const std::string& check : result.checks) std::cout << "  - " << check << "\n";
    }
  }
  if (verdict.has_value() && !result.admitted) return kExitRefused;
  return 0;
}

}  // namespace

int RunPolicy(const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("", "no subcommand given (lint or explain)", kPolicyUsage);
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "lint") return RunLint(rest);
  if (sub == "explain") return RunExplain(rest);
  if (sub == "import") return RunPolicyImport(rest);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << kPolicyUsage;
    return 0;
  }
  return UsageError("", "unknown subcommand \"" + sub + "\"", kPolicyUsage);
}

}  // namespace pullsentry::cli
