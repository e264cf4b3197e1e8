#include "plugin/cli/policy_import_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "plugin/cli/verify_command.h"
#include "trust/native_policy.h"
#include "trust/native_policy_import.h"
#include "trust/notation_import.h"
#include "trust/notation_trust_policy.h"

namespace pullsentry::cli {
namespace {

constexpr char kImportUsage[] = R"(Usage: pullsentry policy import FILE [--output FILE]

Converts FILE — a containers-policy.json(5) or a Notation trustpolicy.json /
trustpolicy.oci.json, recognised by its content — to the native policy
format (pullsentry-policy(5)), on stdout or into --output FILE.

Exit 0 converted (warnings on stderr), 1 FILE is not a valid policy or has
something the native format cannot say the same way, 2 usage error or FILE
cannot be read.
)";

constexpr size_t kMaxInputBytes = 1u << 20;

int Usage(const std::string& error) {
  std::cerr << "pullsentry policy import: " << error << "\n" << kImportUsage;
  return kExitUsage;
}

// At most kMaxInputBytes of a regular file ("-" is not special).
bool ReadInput(const std::string& path, std::string* out, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (!ok) *error = "not a regular file";
  std::string text;
  char buf[65536];
  while (ok) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      ok = false;
    } else if (n == 0) {
      break;
    } else {
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > kMaxInputBytes) {
        *error = "larger than 1048576 bytes";
        ok = false;
      }
    }
  }
  close(fd);
  if (ok) *out = std::move(text);
  return ok;
}

std::string DirectoryOf(const std::string& path) {
  std::string abs = path;
  if (!abs.starts_with('/')) {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) abs = std::string(cwd) + "/" + path;
  }
  size_t slash = abs.rfind('/');
  return slash == 0 ? "/" : abs.substr(0, slash);
}

enum class Format { kContainers, kNotation, kNative, kUnknown };

// By the top-level fields each format requires: Notation "trustPolicies",
// native "version" 1 with "default", containers-policy "default" (or only
// "transports"). Anything else goes to the containers-policy parser, whose
// error then says what is missing.
Format Detect(std::string_view text) {
  nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Format::kUnknown;
  if (root.contains("trustPolicies")) return Format::kNotation;
  if (auto v = root.find("version"); v != root.end() && v->is_number_integer()) return Format::kNative;
  return Format::kContainers;
}

bool WriteOutput(const std::string& path, const std::string& text, std::string* error) {
  std::string tmp = path + ".tmp-pullsentry-import";
  FILE* f = std::fopen(tmp.c_str(), "wx");
  if (f == nullptr) {
    *error = std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fclose(f) == 0) && ok;
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    *error = std::strerror(errno);
    std::remove(tmp.c_str());
  }
  return ok;
}

}  // namespace

int RunPolicyImport(const std::vector<std::string>& args) {
  std::string input, output;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kImportUsage;
      return 0;
    }
    if (arg == "--output" || arg == "-o") {
      if (i + 1 >= args.size()) return Usage(arg + " needs a file name");
      output = args[++i];
    } else if (arg.starts_with("--output=")) {
      output = arg.substr(9);
      if (output.empty()) return Usage("--output needs a file name");
    } else if (arg.starts_with("-") && arg.size() > 1) {
      return Usage("unknown flag " + arg);
    } else if (!input.empty()) {
      return Usage("more than one file given");
    } else {
      input = arg;
    }
  }
  if (input.empty()) return Usage("no policy file given");

  std::string text, error;
  if (!ReadInput(input, &text, &error)) {
    std::cerr << "pullsentry policy import: cannot read " << input << ": " << error << "\n";
    return kExitUsage;
  }

  std::string native;
  switch (Detect(text)) {
    case Format::kNotation: {
      auto imported = trust::ImportNotationTrustPolicy(text);
      if (!imported.ok()) {
        std::cerr << "pullsentry policy import: " << input << " (Notation trust policy): "
                  << imported.status().message() << "\n";
        return kExitRefused;
      }
      for (const std::string& w : imported->warnings) std::cerr << input << ": warning: " << w << "\n";
      native = std::move(imported->native_json);
      break;
    }
    case Format::kNative:
      std::cerr << "pullsentry policy import: " << input
                << " is already in the native format (it has a numeric \"version\"); "
                   "check it with 'pullsentry policy lint'\n";
      return kExitRefused;
    case Format::kContainers:
    case Format::kUnknown: {
      auto imported = trust::ImportContainersPolicy(text, DirectoryOf(input));
      if (!imported.ok()) {
        std::cerr << "pullsentry policy import: " << input << " (containers-policy.json): "
                  << imported.status().message() << "\n";
        return kExitRefused;
      }
      native = std::move(*imported);
      break;
    }
  }

  if (output.empty()) {
    std::cout << native;
    std::cout.flush();
    return std::cout.good() ? 0 : kExitUsage;
  }
  if (!WriteOutput(output, native, &error)) {
    std::cerr << "pullsentry policy import: cannot write " << output << ": " << error << "\n";
    return kExitUsage;
  }
  return 0;
}

}  // namespace pullsentry::cli
