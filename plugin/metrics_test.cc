#include "plugin/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <cstring>
#include <thread>

#include "absl/status/status.h"

namespace pullsentry::plugin {
namespace {

// A small reader of the text exposition format, written from the format's
// description rather than from the renderer: it checks every line's grammar
// and the histogram rules, and returns the samples.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram
  std::vector<Sample> samples;

  double Get(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const Sample& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nan("");
  }
};

bool ValidName(const std::string& name, bool label) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (!label && c == ':') ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

double ParseValue(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  size_t used = 0;
  double value = std::stod(text, &used);
  EXPECT_EQ(used, text.size()) << "bad value " << text;
  return value;
}

// Void so that ASSERT_* can stop at the first broken line.
void ParseInto(const std::string& text, Exposition& out) {
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "must end with a newline";
  std::set<std::string> helped;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    SCOPED_TRACE(line);
    if (line.starts_with("# HELP ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(ValidName(name, false));
      helped.insert(name);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type, extra;
      words >> name >> type >> extra;
      EXPECT_TRUE(extra.empty());
      EXPECT_TRUE(helped.contains(name)) << "TYPE without HELP first";
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram");
      EXPECT_FALSE(out.types.contains(name)) << "family declared twice";
      out.types[name] = type;
      continue;
    }
    EXPECT_FALSE(line.starts_with("#"));
    Sample sample;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample.name = line.substr(0, i);
    EXPECT_TRUE(ValidName(sample.name, false));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        ASSERT_NE(eq, std::string::npos);
        std::string label = line.substr(i, eq - i);
        EXPECT_TRUE(ValidName(label, true)) << label;
        ASSERT_EQ(line[eq + 1], '"');
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ASSERT_LT(j + 1, line.size());
            char next = line[++j];
            ASSERT_TRUE(next == '\\' || next == '"' || next == 'n') << "bad escape";
            value.push_back(next == 'n' ? '\n' : next);
          } else {
            value.push_back(line[j]);
          }
        }
        ASSERT_LT(j, line.size()) << "unterminated label value";
        EXPECT_FALSE(sample.labels.contains(label)) << "label repeated";
        sample.labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ASSERT_LT(i, line.size());
      ++i;  // '}'
    }
    ASSERT_LT(i, line.size());
    ASSERT_EQ(line[i], ' ');
    sample.value = ParseValue(line.substr(i + 1));
    // Every sample belongs to a family declared before it.
    std::string family = sample.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string base = sample.name.substr(0, sample.name.size() - std::strlen(suffix));
      if (sample.name.ends_with(suffix) && out.types.contains(base) && out.types[base] == "histogram") family = base;
    }
    EXPECT_TRUE(out.types.contains(family)) << "sample of an undeclared family";
    if (out.types[family] == "counter") EXPECT_GE(sample.value, 0);
    out.samples.push_back(std::move(sample));
  }
  // Histograms: per series, buckets cumulative (non-decreasing) with
  // increasing bounds, ending in +Inf, which equals _count.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    for (const Sample& s : out.samples) {
      if (s.name != family + "_bucket") continue;
      auto labels = s.labels;
      EXPECT_TRUE(labels.contains("le"));
      double le = ParseValue(labels["le"]);
      labels.erase("le");
      buckets[labels].push_back({le, s.value});
    }
    for (const auto& [labels, series] : buckets) {
      ASSERT_FALSE(series.empty());
      for (size_t k = 1; k < series.size(); ++k) {
        EXPECT_LT(series[k - 1].first, series[k].first) << family << ": bounds not increasing";
        EXPECT_LE(series[k - 1].second, series[k].second) << family << ": buckets not cumulative";
      }
      EXPECT_TRUE(std::isinf(series.back().first)) << family << ": no +Inf bucket";
      EXPECT_EQ(series.back().second, out.Get(family + "_count", labels)) << family << ": +Inf != _count";
      EXPECT_FALSE(std::isnan(out.Get(family + "_sum", labels))) << family << ": no _sum";
    }
  }
}

Exposition Parse(const std::string& text) {
  Exposition out;
  ParseInto(text, out);
  return out;
}

DecisionRecord Decision(bool admitted, std::string reason, std::string action, std::vector<std::string> kinds = {}) {
  verify::Verdict verdict;
  verdict.admitted = admitted;
  verdict.image = "registry.example/team/app:v1";
  verdict.reason = std::move(reason);
  verdict.action = std::move(action);
  verdict.signature_kinds = std::move(kinds);
  DecisionRecord record;
  record.requested = verdict.image;
  record.origin = "cri";
  record.verdict = verdict;
  record.elapsed = std::chrono::milliseconds(30);
  return record;
}

TEST(MetricsRegistryTest, RendersCountersGaugesAndHistogramsThatParseBack) {
  MetricsRegistry registry;
  registry.DeclareCounter("demo_events_total", "Events.\nSecond line with a \\ backslash.");
  registry.DeclareGauge("demo_level", "A level.");
  registry.DeclareHistogram("demo_seconds", "Latency.", {1, 0.1, 0.5});  // unsorted on purpose
  registry.Add("demo_events_total", {{"kind", "a"}});
  registry.Add("demo_events_total", {{"kind", "a"}}, 2);
  registry.Add("demo_events_total", {{"kind", "b"}}, -5);  // ignored: counters only go up
  registry.Set("demo_level", {}, 2.5);
  for (double v : {0.05, 0.1, 0.3, 0.7, 3.0}) registry.Observe("demo_seconds", {{"op", "x"}}, v);

  std::string text = registry.Render();
  Exposition parsed = Parse(text);
  EXPECT_EQ(parsed.types["demo_events_total"], "counter");
  EXPECT_EQ(parsed.types["demo_seconds"], "histogram");
  EXPECT_EQ(parsed.Get("demo_events_total", {{"kind", "a"}}), 3);
  EXPECT_TRUE(std::isnan(parsed.Get("demo_events_total", {{"kind", "b"}})));  // no series at all
  EXPECT_EQ(parsed.Get("demo_level"), 2.5);
  // "le" is inclusive: 0.1 falls in the 0.1 bucket.
  EXPECT_EQ(parsed.Get("demo_seconds_bucket", {{"op", "x"}, {"le", "0.1"}}), 2);
  EXPECT_EQ(parsed.Get("demo_seconds_bucket", {{"op", "x"}, {"le", "0.5"}}), 3);
  EXPECT_EQ(parsed.Get("demo_seconds_bucket", {{"op", "x"}, {"le", "1"}}), 4);
  EXPECT_EQ(parsed.Get("demo_seconds_bucket", {{"op", "x"}, {"le", "+Inf"}}), 5);
  EXPECT_EQ(parsed.Get("demo_seconds_count", {{"op", "x"}}), 5);
  EXPECT_NEAR(parsed.Get("demo_seconds_sum", {{"op", "x"}}), 4.15, 1e-9);
  EXPECT_NE(text.find("# HELP demo_events_total Events.\\nSecond line with a \\\\ backslash.\n"), std::string::npos);
}

TEST(MetricsRegistryTest, LabelValuesAreEscapedAndParseBackExactly) {
  MetricsRegistry registry;
  registry.DeclareCounter("demo_total", "x");
  const std::string nasty = "a\"b\\c\nd} e=\"f\",";
  registry.Add("demo_total", {{"v", nasty}});
  std::string text = registry.Render();
  EXPECT_NE(text.find("demo_total{v=\"a\\\"b\\\\c\\nd} e=\\\"f\\\",\"} 1\n"), std::string::npos) << text;
  Exposition parsed = Parse(text);
  EXPECT_EQ(parsed.Get("demo_total", {{"v", nasty}}), 1);
}

TEST(MetricsRegistryTest, UndeclaredOrMistypedSamplesAreDropped) {
  MetricsRegistry registry;
  registry.DeclareCounter("demo_total", "x");
  registry.Set("demo_total", {}, 5);        // a counter is not a gauge
  registry.Add("nothing_total", {}, 1);     // never declared
  registry.Observe("demo_total", {}, 1.0);  // nor a histogram
  EXPECT_EQ(registry.Value("demo_total", {}), 0);
  EXPECT_EQ(registry.Render().find("nothing_total"), std::string::npos);
}

TEST(MetricsRegistryTest, SampleValues) {
  EXPECT_EQ(FormatSampleValue(3), "3");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(1e300), "1e+300");
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatSampleValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatSampleValue(NAN), "NaN");
  EXPECT_EQ(ParseValue(FormatSampleValue(1763780000.123)), 1763780000.123);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  registry.DeclareCounter("demo_total", "x");
  registry.DeclareHistogram("demo_seconds", "x", {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&registry] {
      for (int i = 0; i < 1000; ++i) {
        registry.Add("demo_total", {});
        registry.Observe("demo_seconds", {}, 0.1);
        if (i % 100 == 0) (void)registry.Render();
      }
    });
  for (auto& t : threads) t.join();
  Exposition parsed = Parse(registry.Render());
  EXPECT_EQ(parsed.Get("demo_total"), 8000);
  EXPECT_EQ(parsed.Get("demo_seconds_count"), 8000);
}

TEST(ReasonClassTest, IsAlwaysFromASmallSetAndNeverTheFreeText) {
  EXPECT_EQ(ReasonClass(Decision(false, "no signature found (no tag sha256-ab.sig in x/y)", "refused")), "no-signature");
  EXPECT_EQ(ReasonClass(Decision(false, "signed by an untrusted key: no signature verifies with k", "refused")),
            "untrusted-key");
  EXPECT_EQ(ReasonClass(Decision(false, "signed digest sha256:1 does not match sha256:2", "refused")),
            "digest-mismatch");
  EXPECT_EQ(ReasonClass(Decision(false, "policy rejects images in scope x", "refused")), "policy-reject");
  EXPECT_EQ(ReasonClass(Decision(true, "signed by key team.pub", "verified")), "signed");
  EXPECT_EQ(ReasonClass(Decision(true, "admitted without signature by policy scope x", "verified")),
            "unsigned-allowed");
  EXPECT_EQ(ReasonClass(Decision(true, "x", "break-glass")), "break-glass");
  EXPECT_EQ(ReasonClass(Decision(false, "registry.example/evil:\"}\n", "refused")), "other");
  DecisionRecord error;
  error.verdict = absl::UnavailableError("resolve registry.example/app:v1: connection refused");
  EXPECT_EQ(ReasonClass(error), "unavailable");
  error.verdict = absl::DeadlineExceededError("slow");
  EXPECT_EQ(ReasonClass(error), "deadline_exceeded");
}

TEST(MetricsTest, DecisionsMoveExactlyTheRightCounters) {
  auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1763780000));
  Metrics metrics("1.2.3", start);
  int ok = 2, failed = 1;
  metrics.SetReloadSource([&] { return Metrics::ReloadCounts{static_cast<uint64_t>(ok), static_cast<uint64_t>(failed)}; });

  Exposition before = Parse(metrics.Render());
  EXPECT_EQ(before.Get("pullsentry_build_info", {{"version", "1.2.3"}}), 1);
  EXPECT_EQ(before.Get("pullsentry_start_time_seconds"), 1763780000);
  EXPECT_EQ(before.Get("pullsentry_cache_hits_total"), 0);
  EXPECT_EQ(before.Get("pullsentry_policy_reloads_total", {{"result", "ok"}}), 2);
  EXPECT_EQ(before.Get("pullsentry_policy_reloads_total", {{"result", "failed"}}), 1);

  metrics.OnDecision(Decision(true, "signed by key team.pub", "verified", {"cosign-key"}));
  metrics.OnDecision(Decision(false, "no signature found (no tag x)", "refused", {"cosign-key"}));
  DecisionRecord hit = Decision(true, "signed by key team.pub", "verified", {"cosign-key"});
  hit.cache_hit = true;
  metrics.OnDecision(hit);
  DecisionRecord error;
  error.verdict = absl::UnavailableError("connection refused");
  error.elapsed = std::chrono::milliseconds(2);
  metrics.OnDecision(error);
  ok = 3;

  Exposition after = Parse(metrics.Render());
  EXPECT_EQ(after.Get("pullsentry_pulls_total", {{"verdict", "admitted"}, {"action", "verified"}, {"reason", "signed"}}),
            2);
  EXPECT_EQ(
      after.Get("pullsentry_pulls_total", {{"verdict", "refused"}, {"action", "refused"}, {"reason", "no-signature"}}),
      1);
  EXPECT_EQ(after.Get("pullsentry_pulls_total", {{"verdict", "error"}, {"action", "refused"}, {"reason", "unavailable"}}),
            1);
  EXPECT_EQ(after.Get("pullsentry_cache_hits_total"), 1);
  EXPECT_EQ(after.Get("pullsentry_cache_misses_total"), 3);
  EXPECT_EQ(after.Get("pullsentry_registry_errors_total", {{"code", "unavailable"}}), 1);
  // Cache hits are not verifications: two cosign-key verifications, one undecided.
  EXPECT_EQ(after.Get("pullsentry_verification_duration_seconds_count", {{"kind", "cosign-key"}}), 2);
  EXPECT_NEAR(after.Get("pullsentry_verification_duration_seconds_sum", {{"kind", "cosign-key"}}), 0.06, 1e-9);
  EXPECT_EQ(after.Get("pullsentry_verification_duration_seconds_count", {{"kind", "unknown"}}), 1);
  EXPECT_EQ(after.Get("pullsentry_policy_reloads_total", {{"result", "ok"}}), 3);
  // No image name and no free-text reason became a label.
  std::string text = metrics.Render();
  EXPECT_EQ(text.find("registry.example"), std::string::npos);
  EXPECT_EQ(text.find("connection refused"), std::string::npos);
}

TEST(MetricsTest, StrangeSignatureKindsAndActionsCollapseToOther) {
  Metrics metrics("v", std::chrono::system_clock::now());
  metrics.OnDecision(Decision(true, "signed by x", "Verified \"now\"", {"Cosign Key!"}));
  Exposition parsed = Parse(metrics.Render());
  EXPECT_EQ(parsed.Get("pullsentry_pulls_total", {{"verdict", "admitted"}, {"action", "other"}, {"reason", "signed"}}), 1);
  EXPECT_EQ(parsed.Get("pullsentry_verification_duration_seconds_count", {{"kind", "other"}}), 1);
}

}  // namespace
}  // namespace pullsentry::plugin
