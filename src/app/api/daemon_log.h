// The daemon's log: timestamped, leveled lines (spdlog), on stderr or appended to a file
// (`agora daemon --log-file PATH`), at or above `--log-level` (debug, info, warn, error; default
// info). The start-up lines that people and scripts read on stdout (`listening ...`, `ready`,
// ...) stay as they are; a log file repeats them with a time (a log on stderr does not: a
// terminal or a journal that takes both would show each twice). It also follows the node's flight
// recorder and logs every event at a level by its type, with the event's own time: a refusal
// (limit_hit) or a misbehaving peer is a warning, a corrupt block an error, connections and
// discovery are debug. Events the ring dropped before they were logged are counted in a warning.
// Under --json each log line is a JSON object too, so that stderr holds only JSON.
#pragma once

#include <spdlog/logger.h>

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "agora/node.h"
#include "agora/result.h"

namespace agora {

// Errc::invalid_input for anything but debug, info, warn (or warning) and error.
Result<spdlog::level::level_enum> parse_log_level(std::string_view name);

class DaemonLog {
 public:
  // Opens `file` for appending when it is not empty (Errc::io if it cannot), else logs to stderr.
  // `json`: each line is {"time", "level", "message"} (the daemon's --json).
  static Result<std::unique_ptr<DaemonLog>> open(spdlog::level::level_enum level,
                                                 const std::filesystem::path& file, bool json);
  ~DaemonLog();
  DaemonLog(const DaemonLog&) = delete;
  DaemonLog& operator=(const DaemonLog&) = delete;

  spdlog::logger& log() { return *logger_; }
  // Logs the node's events from the first on, polling every `poll` until stop_following(), which
  // must come before the node stops.
  void follow_events(Node& node, std::chrono::milliseconds poll = std::chrono::milliseconds(500));
  void stop_following();

 private:
  explicit DaemonLog(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}
  // Logs what one events answer holds; returns the sequence number to read after, and whether
  // more are waiting.
  std::pair<uint64_t, bool> log_events(const nlohmann::json& answer, uint64_t since);

  std::shared_ptr<spdlog::logger> logger_;
  std::thread follower_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace agora
