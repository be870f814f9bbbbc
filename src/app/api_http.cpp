#include "app/api_http.h"

#include "app/api_json.h"

namespace agora {

int api_error_status(Errc code, IoMeans io) {
  switch (code) {
    case Errc::invalid_input:
    case Errc::unsupported:
    case Errc::too_large:
    case Errc::exists:
      return 400;
    case Errc::not_found:
      return 404;
    case Errc::limit:
      return 429;
    case Errc::timeout:
      return 504;
    case Errc::io:
      return io == IoMeans::disk ? 500 : 502;
    default:
      return 502;
  }
}

void send_error(httplib::Response& res, const Error& e, IoMeans io) {
  res.status = api_error_status(e.code, io);
  res.set_content(error_json(e).dump(), "application/json");
}

void send_json(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(body.dump(), "application/json");
}

void send_result(httplib::Response& res, const Result<nlohmann::json>& r, IoMeans io) {
  if (!r) return send_error(res, r.error(), io);
  send_json(res, *r);
}

void LineQueue::push(std::string line) {
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(line));
  cv_.notify_one();
}

void LineQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_one();
}

void LineQueue::write_all(httplib::DataSink& sink) {
  for (;;) {
    std::deque<std::string> ready;
    bool closed = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return closed_ || !lines_.empty(); });
      ready.swap(lines_);
      closed = closed_;
    }
    // Written without the lock: push() runs on the node's loop, which a slow reader must not stall.
    for (std::string& line : ready) {
      line += '\n';
      sink.write(line.data(), line.size());
    }
    if (closed) return;
  }
}

void write_line(httplib::DataSink& sink, const nlohmann::json& j) {
  std::string line = j.dump() + "\n";
  sink.write(line.data(), line.size());
}

Result<uint64_t> parse_u64(const std::string& text, const char* name) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return make_error(Errc::invalid_input,
                      std::string(name) + ": not a non-negative integer: '" + text + "'");
  try {
    return uint64_t(std::stoull(text));
  } catch (...) {
    return make_error(Errc::invalid_input, std::string(name) + ": out of range: '" + text + "'");
  }
}

}  // namespace agora
