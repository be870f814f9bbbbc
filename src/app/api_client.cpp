#include "app/api_client.h"

#include <httplib.h>

#include <fstream>

#include "store/api_file.h"

namespace agora {

static Error no_daemon(const std::filesystem::path& repo) {
  return make_error(Errc::not_found, "no agora daemon is running for " + repo.string() +
                                         " (start one with `agora daemon`)");
}

Result<ApiClient> ApiClient::connect(const std::filesystem::path& repo) {
  auto url = store::read_api_file(repo);
  if (!url) return no_daemon(repo);
  std::ifstream token_file(repo / "api.token");
  std::string token;
  if (!(token_file >> token))
    return make_error(Errc::io, "cannot read " + (repo / "api.token").string());
  return ApiClient(repo, *url, token);
}

Result<nlohmann::json> ApiClient::get(const std::string& path,
                                      const std::map<std::string, std::string>& params) {
  return call("GET", path, params);
}

Result<nlohmann::json> ApiClient::post(const std::string& path,
                                       const std::map<std::string, std::string>& params) {
  return call("POST", path, params);
}

Result<std::string> ApiClient::get_text(const std::string& path) {
  httplib::Client client(url_);
  client.set_bearer_token_auth(token_.c_str());
  auto res = client.Get(path.c_str());
  if (!res) return no_daemon(repo_);
  if (res->status != 200)
    return make_error(Errc::io, "API answered HTTP " + std::to_string(res->status));
  return res->body;
}

Result<nlohmann::json> ApiClient::call(const std::string& method, const std::string& path,
                                       const std::map<std::string, std::string>& params) {
  httplib::Client client(url_);
  client.set_bearer_token_auth(token_.c_str());
  // Pings, dials and perf runs take as long as the network does; the daemon bounds them itself.
  client.set_read_timeout(std::chrono::hours(1));
  httplib::Params query(params.begin(), params.end());
  std::string target = httplib::append_query_params(path, query);
  auto res = method == "GET" ? client.Get(target.c_str()) : client.Post(target.c_str());
  if (!res) {
    if (res.error() == httplib::Error::Connection) return no_daemon(repo_);
    return make_error(Errc::io, "API request failed: " + httplib::to_string(res.error()));
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded())
    return make_error(Errc::io, "API answered with something that is not JSON");
  if (res->status != 200) {
    std::string msg = body.is_object() && body.contains("error")
                          ? body["error"].get<std::string>()
                          : "HTTP " + std::to_string(res->status);
    return make_error(Errc::io, msg);
  }
  return body;
}

}  // namespace agora
