#include "plugin/metrics.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <string_view>

#include "absl/status/status.h"

namespace pullsentry::plugin {
namespace {

constexpr char kPulls[] = "pullsentry_pulls_total";
constexpr char kDuration[] = "pullsentry_verification_duration_seconds";
constexpr char kCacheHits[] = "pullsentry_cache_hits_total";
constexpr char kCacheMisses[] = "pullsentry_cache_misses_total";
constexpr char kRegistryErrors[] = "pullsentry_registry_errors_total";
constexpr char kReloads[] = "pullsentry_policy_reloads_total";
constexpr char kBuildInfo[] = "pullsentry_build_info";
constexpr char kStartTime[] = "pullsentry_start_time_seconds";

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string RenderLabels(const MetricLabels& labels, const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return "";
  std::string out = "{";
  auto append = [&out](const std::pair<std::string, std::string>& label) {
    if (out.size() > 1) out += ",";
    out += label.first + "=\"" + EscapeLabelValue(label.second) + "\"";
  };
  for (const auto& label : labels) append(label);
  if (extra != nullptr) append(*extra);
  return out + "}";
}

// Label values that come from data (signature kinds) are kept to a small
// alphabet and length, so a surprise can never blow up the series count.
std::string BoundedToken(std::string_view value) {
  if (value.empty() || value.size() > 32) return "other";
  for (char c : value)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return "other";
  return std::string(value);
}

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest round-trip form
  return ec == std::errc() ? std::string(buffer, end) : "NaN";
}

void MetricsRegistry::Declare(const std::string& name, Type type, const std::string& help,
                              std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  if (families_.contains(name)) return;
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::erase_if(bounds, [](double b) { return !std::isfinite(b); });
  families_[name] = Family{type, help, std::move(bounds), {}};
}

void MetricsRegistry::DeclareCounter(const std::string& name, const std::string& help) {
  Declare(name, Type::kCounter, help, {});
}
void MetricsRegistry::DeclareGauge(const std::string& name, const std::string& help) {
  Declare(name, Type::kGauge, help, {});
}
void MetricsRegistry::DeclareHistogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  Declare(name, Type::kHistogram, help, std::move(bounds));
}

MetricsRegistry::Family* MetricsRegistry::Find(const std::string& name, Type type) {
  auto it = families_.find(name);
  // An undeclared name or a type mix-up is a programming error; dropping the
  // sample beats crashing the node's pull path over a metric.
  if (it == families_.end() || it->second.type != type) return nullptr;
  return &it->second;
}

void MetricsRegistry::Add(const std::string& name, const MetricLabels& labels, double delta) {
  if (!(delta >= 0)) return;  // counters only go up (also rejects NaN)
  std::lock_guard lock(mu_);
  if (Family* family = Find(name, Type::kCounter)) family->series[labels].value += delta;
}

void MetricsRegistry::Set(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mu_);
  if (Family* family = Find(name, Type::kGauge)) family->series[labels].value = value;
}

void MetricsRegistry::Observe(const std::string& name, const MetricLabels& labels, double value) {
  if (std::isnan(value)) return;
  std::lock_guard lock(mu_);
  Family* family = Find(name, Type::kHistogram);
  if (family == nullptr) return;
  Series& series = family->series[labels];
  if (series.bucket_counts.empty()) series.bucket_counts.assign(family->bounds.size() + 1, 0);
  // The first bucket whose upper bound holds the value ("le" is inclusive).
  size_t bucket = std::lower_bound(family->bounds.begin(), family->bounds.end(), value) - family->bounds.begin();
  ++series.bucket_counts[bucket];
  series.sum += value;
  ++series.count;
}

double MetricsRegistry::Value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard lock(mu_);
  auto family = families_.find(name);
  if (family == families_.end()) return 0;
  auto series = family->second.series.find(labels);
  if (series == family->second.series.end()) return 0;
  return family->second.type == Type::kHistogram ? static_cast<double>(series->second.count) : series->second.value;
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family.type == Type::kCounter ? "counter" : family.type == Type::kGauge ? "gauge" : "histogram";
    out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::kHistogram) {
        out += name + RenderLabels(labels) + " " + FormatSampleValue(series.value) + "\n";
        continue;
      }
      // Buckets are cumulative in the exposition format.
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= family.bounds.size(); ++i) {
        cumulative += series.bucket_counts[i];
        std::pair<std::string, std::string> le{"le", i < family.bounds.size() ? FormatSampleValue(family.bounds[i])
                                                                              : "+Inf"};
        out += name + "_bucket" + RenderLabels(labels, &le) + " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + RenderLabels(labels) + " " + FormatSampleValue(series.sum) + "\n";
      out += name + "_count" + RenderLabels(labels) + " " + std::to_string(series.count) + "\n";
    }
  }
  return out;
}

std::string ReasonClass(const DecisionRecord& record) {
  if (!record.verdict.ok()) {
    // A failure to decide: its error code is already a small fixed set.
    return Lower(absl::StatusCodeToString(record.verdict.status().code()));
  }
  const verify::Verdict& verdict = *record.verdict;
  const std::string reason = Lower(verdict.reason);
  if (verdict.admitted) {
    if (verdict.action == "break-glass") return "break-glass";
    if (verdict.action == "warn" || verdict.action == "audit") return "would-refuse";
    if (!verdict.signers.empty() || reason.starts_with("signed by")) return "signed";
    if (Contains(reason, "without signature")) return "unsigned-allowed";
    return "other";
  }
  // The wording of the pipeline's refusal reasons, most specific first.
  static const std::initializer_list<std::pair<std::string_view, std::string_view>> kClasses = {
      {"no signature found", "no-signature"},
      {"holds no cosign", "no-signature"},
      {"untrusted key", "untrusted-key"},
      {"does not match", "digest-mismatch"},
      {"malformed", "bad-signature"},
      {"unusable", "bad-signature"},
      {"identity", "identity-mismatch"},
      {"docker-reference", "identity-mismatch"},
      {"expired", "expired"},
      {"not supported", "unsupported-verifier"},
      {"rejects images", "policy-reject"},
      {"rejected by policy", "policy-reject"},
      {"no requirements", "policy-reject"},
  };
  for (const auto& [needle, name] : kClasses)
    if (Contains(reason, needle)) return std::string(name);
  return "other";
}

Metrics::Metrics(std::string version, std::chrono::system_clock::time_point start_time) {
  registry_.DeclareCounter(kPulls, "Pull decisions by verdict (admitted, refused, error), action and reason class.");
  registry_.DeclareHistogram(kDuration, "Time to decide a pull that was not answered from the verdict cache, by signature kind.",
                             {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
  registry_.DeclareCounter(kCacheHits, "Pull decisions answered from the verdict cache.");
  registry_.DeclareCounter(kCacheMisses, "Pull decisions not answered from the verdict cache.");
  registry_.DeclareCounter(kRegistryErrors,
                           "Pulls refused because no decision could be reached (registry unreachable, timed out, "
                           "refused credentials or answered unusably), by error code.");
  registry_.DeclareCounter(kReloads, "Policy reloads by result; a failed reload keeps the previous policy.");
  registry_.DeclareGauge(kBuildInfo, "The running pullsentryd's version (always 1).");
  registry_.DeclareGauge(kStartTime, "When pullsentryd started, in seconds since the Unix epoch.");

  registry_.Set(kBuildInfo, {{"version", version}}, 1);
  registry_.Set(kStartTime, {}, std::chrono::duration<double>(start_time.time_since_epoch()).count());
  // Series that exist from the start, so rate() sees the first increment.
  registry_.Add(kCacheHits, {}, 0);
  registry_.Add(kCacheMisses, {}, 0);
  registry_.Add(kReloads, {{"result", "ok"}}, 0);
  registry_.Add(kReloads, {{"result", "failed"}}, 0);
}

void Metrics::OnDecision(const DecisionRecord& record) {
  std::string verdict = !record.verdict.ok() ? "error" : record.verdict->admitted ? "admitted" : "refused";
  std::string action = record.verdict.ok() ? BoundedToken(record.verdict->action) : "refused";
  registry_.Add(kPulls, {{"verdict", verdict}, {"action", action}, {"reason", ReasonClass(record)}});
  registry_.Add(record.cache_hit ? kCacheHits : kCacheMisses, {});
  if (!record.verdict.ok()) {
    registry_.Add(kRegistryErrors, {{"code", ReasonClass(record)}});
  }
  if (!record.cache_hit) {
    std::string kind = "unknown";
    if (record.verdict.ok() && !record.verdict->signature_kinds.empty())
      kind = BoundedToken(record.verdict->signature_kinds.front());
    registry_.Observe(kDuration, {{"kind", kind}}, record.elapsed.count());
  }
}

void Metrics::SetReloadSource(std::function<ReloadCounts()> source) {
  std::lock_guard lock(source_mu_);
  reload_source_ = std::move(source);
}

std::string Metrics::Render() {
  {
    std::lock_guard lock(source_mu_);
    if (reload_source_) {
      ReloadCounts counts = reload_source_();
      // Gauge-like refresh of a counter: the reloader owns the count, so set
      // the series to it rather than adding.
      double ok = registry_.Value(kReloads, {{"result", "ok"}});
      double failed = registry_.Value(kReloads, {{"result", "failed"}});
      registry_.Add(kReloads, {{"result", "ok"}}, static_cast<double>(counts.ok) - ok);
      registry_.Add(kReloads, {{"result", "failed"}}, static_cast<double>(counts.failed) - failed);
    }
  }
  return registry_.Render();
}

}  // namespace pullsentry::plugin
