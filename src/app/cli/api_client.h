// The CLI's side of the local HTTP API: finds the running daemon through the repo's Unix socket
// (api.sock, preferred when it accepts a connection) or its `api` file (the TCP URL), and
// authenticates with the repo's token on both.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "agora/result.h"

namespace httplib {
class Client;
class Result;
}  // namespace httplib

namespace agora {

// The error in a daemon's JSON answer ({"error": message, "code": Errc name}, as docs/api.md
// says), as the Error the daemon had; `fallback` when the code is missing or unknown.
Error error_from_json(const nlohmann::json& answer, Errc fallback = Errc::io);

class ApiClient {
 public:
  // Errc::not_found with a plain message when no daemon runs for this repo.
  static Result<ApiClient> connect(const std::filesystem::path& repo);
  // True for connect's error when no daemon runs (the CLI's no_daemon kind and exit code).
  static bool is_no_daemon(const Error& e);
  // Use TCP even when the daemon's Unix socket answers (`agora --api-tcp`); for this process.
  static void set_prefer_tcp(bool on);
  // Every call of this process carries this W3C traceparent header (`agora --trace`); empty: none.
  static void set_traceparent(std::string traceparent);
  // Where calls go: "unix:<path>" or the TCP URL.

  Result<nlohmann::json> get(const std::string& path,
                             const std::map<std::string, std::string>& params = {});
  Result<nlohmann::json> post(const std::string& path,
                              const std::map<std::string, std::string>& params = {});
  Result<std::string> get_text(const std::string& path);
  // Streams the response body of a 200 answer to `on_chunk` (false from it aborts); a non-200
  // answer becomes the error it carries. Params may repeat a key (multimap).
  Status stream(const std::string& method, const std::string& path,
                const std::multimap<std::string, std::string>& params,
                const std::function<bool(const char*, size_t)>& on_chunk);
  // POSTs a body produced by `read` (returns bytes read, 0 at the end) as a chunked upload.
  Result<nlohmann::json> post_stream(const std::string& path,
                                     const std::map<std::string, std::string>& params,
                                     const std::function<Result<size_t>(char*, size_t)>& read);
  // POSTs a body held in memory.
  Result<nlohmann::json> post_body(const std::string& path,
                                   const std::map<std::string, std::string>& params,
                                   const std::string& body);

 private:
  ApiClient(std::filesystem::path repo, std::string url, std::string socket_path, std::string token)
      : repo_(std::move(repo)),
        url_(std::move(url)),
        socket_path_(std::move(socket_path)),
        token_(std::move(token)) {}
  httplib::Client http() const;
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const std::map<std::string, std::string>& params);
  // No answer: no daemon (connection refused) or the request failed on the way.
  Error request_failed(const httplib::Result& res) const;
  // A 200 answer's JSON body, or the error the answer carries.
  Result<nlohmann::json> json_answer(const httplib::Result& res) const;
  std::filesystem::path repo_;
  std::string url_;          // TCP; empty when only the socket answered
  std::string socket_path_;  // empty: use url_
  std::string token_;
};

}  // namespace agora
