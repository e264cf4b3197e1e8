// One-line log records on stderr (the journal when run by systemd), with a
// level prefix systemd understands (sd-daemon(3) "<N>").
#ifndef PULLSENTRY_PLUGIN_LOGGING_H_
#define PULLSENTRY_PLUGIN_LOGGING_H_

#include <string_view>

namespace pullsentry::plugin {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

void SetLogLevel(LogLevel level);
// Prefix every line with "<N>" for the journal instead of a timestamp.
void SetJournalFormat(bool journal);
void Log(LogLevel level, std::string_view message);

inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogDebug(std::string_view m) { Log(LogLevel::kDebug, m); }

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_LOGGING_H_
