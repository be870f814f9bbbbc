#include "app/cli/cli_util.h"

#include <iostream>

#include "app/cli/api_client.h"

namespace agora {

int fail(const Error& e) {
  std::cerr << "error: " << e.message << "\n";
  return 1;
}

int print_answer(const CommonOptions& o, const Result<nlohmann::json>& answer,
                 const PrintFn& human) {
  if (!answer) return fail(answer.error());
  if (o.json) {
    std::cout << answer->dump() << "\n";
  } else {
    human(*answer);
  }
  return 0;
}

int call(const CommonOptions& o, bool post, const std::string& path,
         const std::map<std::string, std::string>& params, const PrintFn& human) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  return print_answer(o, post ? client->post(path, params) : client->get(path, params), human);
}

std::string join_strings(const nlohmann::json& list, const char* separator) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : separator) + item.get<std::string>();
  return out;
}

}  // namespace agora
