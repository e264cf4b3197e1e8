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
#include "verify/pipeline/image_verifier.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::cli {
namespace {

constexpr char kPolicyUsage[] = R"(Usage: pullsentry policy lint FILE [--strict] [--output text|json]
       pullsentry policy explain IMAGE --policy FILE [flags]

  lint       report every problem in a containers-policy.json(5) file, each
             with its JSON pointer and line:column. Exit 0 no errors
             (warnings are printed), 1 errors (the policy would not load) or,
             with --strict, warnings; 2 usage error or unreadable FILE.
  explain    show which scope applies to IMAGE and why, its requirements and
             keys; with --verify also verify IMAGE at its registry.
)";

constexpr char kLintUsage[] = R"(Usage: pullsentry policy lint FILE [--strict] [--output text|json]

Reports every problem in a containers-policy.json(5) policy as
FILE:LINE:COL: error|warning: JSON-POINTER: message. Errors are what stops
pullsentryd from loading the policy; warnings are for a policy that loads but
probably does not do what was meant (scopes that can never match, a nested
scope that accepts anything inside a signed one, transports other than
docker, a default of insecureAcceptAnything).

  --strict              exit 1 on warnings too
  --output text|json    findings format (default text)

Exit 0 no errors, 1 errors (or warnings with --strict), 2 usage error or
unreadable FILE.
)";

constexpr char kExplainUsage[] = R"(Usage: pullsentry policy explain IMAGE --policy FILE [flags]

Shows which scope of the policy applies to IMAGE and why, the scopes
considered, the requirements with their keys and signedIdentity; with
--verify, verifies IMAGE at its registry and prints the verdict and checks.

  --policy FILE              containers-policy.json(5) policy (default /etc/pullsentry/policy.json)
  --namespace NS             the pod's Kubernetes namespace (printed; containers-policy.json has no
                             namespace overrides)
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

int RunLint(const std::vector<std::string>& args) {
  std::string path;
  bool strict = false;
  std::string output = "text";
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
    } else if (arg.starts_with("--")) {
      return UsageError("lint", "unknown flag " + arg, kLintUsage);
    } else if (path.empty()) {
      path = arg;
    } else {
      return UsageError("lint", "more than one file given", kLintUsage);
    }
  }
  if (path.empty()) return UsageError("lint", "no policy file given", kLintUsage);

  std::string text;
  std::string error;
  if (!ReadPolicyText(path, text, error)) {
    std::cerr << "pullsentry policy lint: " << path << ": " << error << "\n";
    return kExitUsage;
  }
  std::vector<trust::LintFinding> findings = trust::LintContainersPolicy(text, BaseDir(path));
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

// ---------------------------------------------------------------- explain

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

int RunExplain(const std::vector<std::string>& args) {
  std::string image_text;
  std::string policy_path = "/etc/pullsentry/policy.json";
  std::string output = "text";
  std::string ns;
  bool verify = false;
  int timeout_seconds = 60;
  registry::RegistryOptions registry_options;
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
