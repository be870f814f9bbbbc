#include "app/cli/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace agora {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

ProgressBar::ProgressBar(std::string label, std::optional<uint64_t> total_bytes, bool enabled)
    : label_(std::move(label)),
      total_(total_bytes),
      enabled_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::amount(double n) const {
  return noun_.empty() ? human_bytes(n) : fmt::format("{:.0f} {}", n, noun_);
}

void ProgressBar::update(uint64_t done, const std::string& extra) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  // Too soon after the start, a rate is noise (a first block in a millisecond: "1.5 TB/s").
  double rate = seconds >= 0.5 ? double(done) / seconds : 0;
  std::string line = label_ + " " + amount(double(done));
  if (total_ && *total_ > 0) {
    double frac = std::min(1.0, double(done) / double(*total_));
    int filled = int(frac * 30);
    line = fmt::format("{} [{}{}] {:3.0f}% {} / {}", label_, std::string(filled, '#'),
                       std::string(30 - filled, ' '), frac * 100, amount(double(done)),
                       amount(double(*total_)));
    if (rate > 0 && done < *total_)
      line += fmt::format(" ETA {:.0f}s", double(*total_ - done) / rate);
  }
  if (rate > 0) line += fmt::format(" {}/s", amount(rate));
  if (!extra.empty()) line += " " + extra;
  // Cleared to the end of the screen: fewer detail lines than last time leave none behind.
  std::string out = "\r\033[J" + line;
  for (const std::string& d : details_) out += "\n" + d;
  if (!details_.empty()) out += fmt::format("\033[{}A\r", details_.size());
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::set_label(const std::string& label) {
  if (label == label_) return;
  label_ = label;
  start_ = std::chrono::steady_clock::now();
  drawn_ = false;  // draw the new phase at once
}

void ProgressBar::set_details(std::vector<std::string> lines) {
  if (lines.size() > kDetailLinesMax) lines.resize(kDetailLinesMax);
  details_ = std::move(lines);
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\r\033[J");
  drawn_ = false;
}

}  // namespace agora
