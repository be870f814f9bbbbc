// Pieces shared by the HTTP API's route files (api_dht.cpp, api_content.cpp): error statuses,
// JSON answers, running a coroutine on the node's loop from an HTTP thread, and ndjson lines
// handed from the loop to the HTTP thread that streams them.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "runtime/asio/asio_util.h"

namespace agora {

// What an io error (Errc::io, from the operating system) means on a route: the local disk failed
// (500), or a connection to a peer did (502).
enum class IoMeans : uint8_t { disk, network };

// invalid_input, unsupported, too_large, exists: 400; not_found: 404; limit: 429; timeout: 504;
// io: as `io` says; anything else (the network, a peer): 502.
int api_error_status(Errc code, IoMeans io);

// A query parameter that must be a decimal uint64; the error names the parameter.
Result<uint64_t> parse_u64(const std::string& text, const char* name);
// The error as {"error": ...} with its status.
void send_error(httplib::Response& res, const Error& e, IoMeans io = IoMeans::disk);
// 200 with `body`.
void send_json(httplib::Response& res, const nlohmann::json& body);
// send_json or send_error.
void send_result(httplib::Response& res, const Result<nlohmann::json>& r,
                 IoMeans io = IoMeans::disk);

// Runs `task` on the node's loop and waits for it. (Result<T> has no default constructor, which
// co_spawn's completion handler would need, so the promise is set inside the coroutine.) An
// exception inside the task becomes Errc::internal, so T must be constructible from an Error.
template <class T>
T run_on_loop(asio::io_context& io, std::function<rt::awaitable<T>()> task) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  asio::co_spawn(
      io,
      [promise, task = std::move(task)]() -> rt::awaitable<void> {
        promise->set_value(co_await task());
      },
      [promise](std::exception_ptr e) {
        if (e) promise->set_value(make_error(Errc::internal, "request failed inside the node"));
      });
  return future.get();
}

// Lines handed from the loop thread to the HTTP thread that streams them.
class LineQueue {
 public:
  void push(std::string line);
  // No more lines: write_all() returns once it has written those queued.
  void close();
  // Writes each line (with its newline) to `sink` as it arrives, until close().
  void write_all(httplib::DataSink& sink);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

// Writes `j` as one ndjson line.
void write_line(httplib::DataSink& sink, const nlohmann::json& j);

}  // namespace agora
