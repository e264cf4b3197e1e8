// The daemon's metrics, rendered in the Prometheus text exposition format
// (version 0.0.4) for the HTTP endpoint and node_exporter's textfile
// collector (plugin/metrics_export.h).
//
// MetricsRegistry is a small thread-safe store of counter, gauge and
// histogram families. Metrics fills one with pullsentry's own metrics from
// every pull decision (it is a DecisionObserver). Label values are always
// drawn from small fixed sets — verdict, action, a reason *class*, a
// signature kind, an error code — never from free text or image names, so
// the number of series stays bounded whatever callers ask for.
#ifndef PULLSENTRY_PLUGIN_METRICS_H_
#define PULLSENTRY_PLUGIN_METRICS_H_

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "plugin/decision_observer.h"

namespace pullsentry::plugin {

// Label name/value pairs; rendered in the order given.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  // Declares a family. Names follow Prometheus conventions; declaring the
  // same name twice keeps the first declaration.
  void DeclareCounter(const std::string& name, const std::string& help);
  void DeclareGauge(const std::string& name, const std::string& help);
  // `bounds`: the upper bounds of the buckets, ascending; +Inf is implied.
  void DeclareHistogram(const std::string& name, const std::string& help, std::vector<double> bounds);

  // Counter += delta (delta >= 0; negative deltas are ignored).
  void Add(const std::string& name, const MetricLabels& labels, double delta = 1);
  void Set(const std::string& name, const MetricLabels& labels, double value);
  void Observe(const std::string& name, const MetricLabels& labels, double value);

  // The current value of a counter or gauge series (0 when absent); for tests and status.
  double Value(const std::string& name, const MetricLabels& labels) const;

  // Every family with its series, in the text exposition format.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                   // counter, gauge
    std::vector<uint64_t> bucket_counts;  // histogram: per bucket (not cumulative), +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> bounds;
    std::map<MetricLabels, Series> series;
  };
  void Declare(const std::string& name, Type type, const std::string& help, std::vector<double> bounds);
  Family* Find(const std::string& name, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Escapes a label value for the text format: backslash, double quote, newline.
std::string EscapeLabelValue(std::string_view value);
// A sample value in the text format: integers without a fraction, +Inf/-Inf/NaN spelled out.
std::string FormatSampleValue(double value);

// A bounded class for a decision's reason, e.g. "no-signature",
// "untrusted-key", "policy-reject", "signed", "unavailable". Never the
// free-text reason itself.
std::string ReasonClass(const DecisionRecord& record);

class Metrics final : public DecisionObserver {
 public:
  // What the policy reloader has counted so far (read at scrape time).
  struct ReloadCounts {
    uint64_t ok = 0;
    uint64_t failed = 0;
  };

  Metrics(std::string version, std::chrono::system_clock::time_point start_time);

  void OnDecision(const DecisionRecord& record) override;

  // Where the policy reload counters come from; unset, they stay at zero.
  void SetReloadSource(std::function<ReloadCounts()> source);

  // The exposition text, with scrape-time values refreshed.
  std::string Render();

  const MetricsRegistry& registry() const { return registry_; }

 private:
  MetricsRegistry registry_;
  std::mutex source_mu_;
  std::function<ReloadCounts()> reload_source_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_METRICS_H_
