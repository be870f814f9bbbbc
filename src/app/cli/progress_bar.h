// A progress display on stderr (only when stderr is a terminal): one line of bytes (or a count
// of things), rate and ETA, and optionally a few detail lines under it (e.g. one per peer).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agora {

class ProgressBar {
 public:
  // `label` prefixes the line; `total_bytes` enables the bar and the ETA.
  ProgressBar(std::string label, std::optional<uint64_t> total_bytes, bool enabled);
  void update(uint64_t done_bytes, const std::string& extra = {});
  // A later phase (e.g. fetching, then writing): the rate restarts when the label changes.
  void set_label(const std::string& label);
  void set_total(uint64_t total_bytes) { total_ = total_bytes; }
  // Lines drawn under the bar from the next update on (at most kDetailLinesMax; empty: none).
  void set_details(std::vector<std::string> lines);
  static constexpr size_t kDetailLinesMax = 8;
  // Counts `noun`s (e.g. "entries") instead of bytes.
  void count(std::string noun) { noun_ = std::move(noun); }
  void finish();                             // clears the line (a later update draws it again)
  bool enabled() const { return enabled_; }  // drawing: on a terminal and asked for

 private:
  std::string amount(double n) const;

  std::string label_;
  std::string noun_;  // empty: bytes
  std::vector<std::string> details_;
  std::optional<uint64_t> total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "12.3 MB" style sizes (decimal units, like the rates).
std::string human_bytes(double bytes);

}  // namespace agora
