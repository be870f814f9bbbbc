#include "app/cli/api_client.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include "agora/repo.h"

namespace agora {

namespace {

constexpr std::string_view kNoDaemonPrefix = "no agora daemon is running for ";

Error no_daemon(const std::filesystem::path& repo) {
  return make_error(Errc::not_found, std::string(kNoDaemonPrefix) + repo.string() +
                                         " (start one with `agora daemon`)");
}

std::optional<Errc> errc_from_name(std::string_view name) {
  for (int i = 0; i <= int(Errc::internal); ++i)
    if (name == errc_name(Errc(i))) return Errc(i);
  return std::nullopt;
}

// An answer's status where its body names no kind (the API's gate refuses before routing).
Errc errc_of_status(int status) {
  switch (status) {
    case 400:
    case 401:
    case 403:
      return Errc::invalid_input;
    case 404:
      return Errc::not_found;
    case 408:
    case 504:
      return Errc::timeout;
    case 429:
    case 431:
    case 503:
      return Errc::limit;
    default:
      return Errc::io;
  }
}

std::atomic<bool> prefer_tcp{false};
std::string traceparent_header;  // set once, before any call (main's thread)

// True when a daemon accepts connections on the socket at `path` (a file left by a crashed one
// refuses them).
bool socket_answers(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path) return false;
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

Error error_from_body(int status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) return error_from_json(j, errc_of_status(status));
  return make_error(errc_of_status(status), "HTTP " + std::to_string(status));
}

}  // namespace

bool ApiClient::is_no_daemon(const Error& e) {
  return e.code == Errc::not_found && e.message.starts_with(kNoDaemonPrefix);
}

Error error_from_json(const nlohmann::json& answer, Errc fallback) {
  std::string message = "the daemon answered with an error it did not describe";
  if (auto it = answer.find("error"); it != answer.end() && it->is_string()) message = *it;
  Errc code = fallback;
  if (auto it = answer.find("code"); it != answer.end() && it->is_string())
    code = errc_from_name(it->get<std::string>()).value_or(fallback);
  return make_error(code, message);
}

Error ApiClient::request_failed(const httplib::Result& res) const {
  if (res.error() == httplib::Error::Connection) return no_daemon(repo_);
  return make_error(Errc::io, "API request failed: " + httplib::to_string(res.error()));
}

Result<nlohmann::json> ApiClient::json_answer(const httplib::Result& res) const {
  if (!res) return request_failed(res);
  if (res->status != 200) return error_from_body(res->status, res->body);
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded())
    return make_error(Errc::io, "API answered with something that is not JSON");
  return body;
}

void ApiClient::set_prefer_tcp(bool on) { prefer_tcp = on; }

void ApiClient::set_traceparent(std::string traceparent) {
  traceparent_header = std::move(traceparent);
}

Result<ApiClient> ApiClient::connect(const std::filesystem::path& repo) {
  auto url = read_api_url(repo);
  std::string socket_path = api_socket_path(repo).string();
  if (prefer_tcp || !socket_answers(socket_path)) socket_path.clear();
  if (!url && socket_path.empty()) return no_daemon(repo);
  std::ifstream token_file(repo / "api.token");
  std::string token;
  if (!(token_file >> token))
    return make_error(Errc::io, "cannot read " + (repo / "api.token").string());
  return ApiClient(repo, url ? *url : "", socket_path, token);
}

httplib::Client ApiClient::http() const {
  auto traced = [](httplib::Client client) {
    if (!traceparent_header.empty())
      client.set_default_headers({{"traceparent", traceparent_header}});
    return client;
  };
  if (socket_path_.empty()) return traced(httplib::Client(url_));
  // httplib 0.11 takes a Unix socket's path as the host; the port is not used.
  httplib::Client client(socket_path_, 80);
  client.set_address_family(AF_UNIX);
  return traced(std::move(client));
}

Result<nlohmann::json> ApiClient::get(const std::string& path,
                                      const std::map<std::string, std::string>& params) {
  return call("GET", path, params);
}

Result<nlohmann::json> ApiClient::post(const std::string& path,
                                       const std::map<std::string, std::string>& params) {
  return call("POST", path, params);
}

Result<nlohmann::json> ApiClient::call(const std::string& method, const std::string& path,
                                       const std::map<std::string, std::string>& params) {
  httplib::Client client = http();
  client.set_bearer_token_auth(token_.c_str());
  // Pings, dials and perf runs take as long as the network does; the daemon bounds them itself.
  client.set_read_timeout(std::chrono::hours(1));
  httplib::Params query(params.begin(), params.end());
  std::string target = httplib::append_query_params(path, query);
  auto res = method == "GET" ? client.Get(target.c_str()) : client.Post(target.c_str());
  return json_answer(res);
}

Result<std::string> ApiClient::get_text(const std::string& path) {
  httplib::Client client = http();
  client.set_bearer_token_auth(token_.c_str());
  auto res = client.Get(path.c_str());
  if (!res) return request_failed(res);
  if (res->status != 200) return error_from_body(res->status, res->body);
  return res->body;
}

Status ApiClient::stream(const std::string& method, const std::string& path,
                         const std::multimap<std::string, std::string>& params,
                         const std::function<bool(const char*, size_t)>& on_chunk) {
  httplib::Client client = http();
  client.set_read_timeout(std::chrono::hours(24));
  httplib::Params query(params.begin(), params.end());
  httplib::Request req;
  req.method = method;
  req.path = httplib::append_query_params(path, query);
  req.headers = {{"Authorization", "Bearer " + token_}};
  if (!traceparent_header.empty()) req.headers.emplace("traceparent", traceparent_header);
  int status = 0;
  std::string error_body;
  bool aborted = false;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status != 200) {
      if (error_body.size() < 65536) error_body.append(data, n);
      return true;
    }
    if (!on_chunk(data, n)) {
      aborted = true;
      return false;
    }
    return true;
  };
  auto res = client.send(req);
  if (aborted) return make_error(Errc::closed, "stopped reading the answer");
  if (!res) return request_failed(res);
  if (status != 200) return error_from_body(status, error_body.empty() ? res->body : error_body);
  return {};
}

Result<nlohmann::json> ApiClient::post_stream(
    const std::string& path, const std::map<std::string, std::string>& params,
    const std::function<Result<size_t>(char*, size_t)>& read) {
  httplib::Client client = http();
  client.set_bearer_token_auth(token_.c_str());
  client.set_read_timeout(std::chrono::hours(24));
  client.set_write_timeout(std::chrono::hours(24));
  httplib::Params query(params.begin(), params.end());
  std::string target = httplib::append_query_params(path, query);
  std::optional<Error> read_error;
  std::vector<char> buf(1 << 20);
  auto res = client.Post(
      target.c_str(),
      [&](size_t, httplib::DataSink& sink) {
        auto n = read(buf.data(), buf.size());
        if (!n) {
          read_error = n.error();
          return false;
        }
        if (*n == 0) {
          sink.done();
        } else {
          sink.write(buf.data(), *n);
        }
        return true;
      },
      "application/octet-stream");
  if (read_error) return *read_error;
  return json_answer(res);
}

Result<nlohmann::json> ApiClient::post_body(const std::string& path,
                                            const std::map<std::string, std::string>& params,
                                            const std::string& data) {
  httplib::Client client = http();
  client.set_bearer_token_auth(token_.c_str());
  client.set_read_timeout(std::chrono::hours(1));
  httplib::Params query(params.begin(), params.end());
  std::string target = httplib::append_query_params(path, query);
  return json_answer(client.Post(target.c_str(), data, "application/octet-stream"));
}

}  // namespace agora
