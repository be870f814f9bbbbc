#include "app/cli/cli_util.h"

#include <sys/random.h>

#include <atomic>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "app/cli/api_client.h"

namespace agora {

namespace {

std::atomic<bool> errors_as_json{false};

}  // namespace

void set_json_errors(bool on) { errors_as_json = on; }
bool json_errors() { return errors_as_json; }

int print_error(const std::string& kind, const std::string& message, int exit_code,
                const nlohmann::json& extra) {
  std::cout.flush();  // what was printed before the error comes first on a shared terminal
  if (errors_as_json) {
    nlohmann::json j = {{"kind", kind}, {"message", message}, {"exit_code", exit_code}};
    for (const auto& [key, value] : extra.items()) j[key] = value;
    std::cerr << j.dump() << "\n";
  } else {
    std::cerr << "error: " << message << "\n";
  }
  return exit_code;
}

int fail(const Error& e) {
  if (ApiClient::is_no_daemon(e)) return print_error(kKindNoDaemon, e.message, kExitNoDaemon);
  return print_error(errc_name(e.code), e.message, kExitFailed);
}

int print_answer(const CommonOptions& o, const Result<nlohmann::json>& answer,
                 const PrintFn& human) {
  if (!answer) return fail(answer.error());
  if (o.json) {
    std::cout << answer->dump() << "\n";
  } else {
    human(*answer);
  }
  return kExitOk;
}

int call(const CommonOptions& o, bool post, const std::string& path,
         const std::map<std::string, std::string>& params, const PrintFn& human) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  return print_answer(o, post ? client->post(path, params) : client->get(path, params), human);
}

std::string count_of(uint64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many.empty() ? one + "s" : many);
}

std::string count_of(const nlohmann::json& n, const std::string& one, const std::string& many) {
  return count_of(n.is_number_unsigned() ? n.get<uint64_t>() : uint64_t(0), one, many);
}

std::string join_strings(const nlohmann::json& list, const char* separator) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : separator) + item.get<std::string>();
  return out;
}

Status stream_ndjson(ApiClient& client, const std::string& method, const std::string& path,
                     const std::multimap<std::string, std::string>& params,
                     const std::function<void(const nlohmann::json&)>& on_line) {
  std::string pending;
  return client.stream(method, path, params, [&](const char* d, size_t n) {
    pending.append(d, n);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      auto line = nlohmann::json::parse(pending.substr(0, nl), nullptr, false);
      pending.erase(0, nl + 1);
      if (line.is_object()) on_line(line);
    }
    return true;
  });
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  size_t got = 0;
  while (got < raw.size()) {
    ssize_t n = getrandom(raw.data() + got, raw.size() - got, 0);
    if (n <= 0) throw std::runtime_error("getrandom failed: no randomness to draw from");
    got += size_t(n);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : raw) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

}  // namespace agora
