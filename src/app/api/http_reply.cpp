#include "app/api/http_reply.h"

namespace agora {

std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json error_json(const Error& e) {
  return {{"error", e.message}, {"code", errc_name(e.code)}};
}

void send_error(httplib::Response& res, const Error& e, IoMeans io) {
  res.status = api_error_status(e.code, io);
  res.set_content(json_text(error_json(e)), "application/json");
}

void send_bad_request(httplib::Response& res, const Error& e) {
  res.status = 400;
  res.set_content(json_text(error_json(e)), "application/json");
}

void send_json(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(json_text(body), "application/json");
}

void send_result(httplib::Response& res, const Result<nlohmann::json>& r, IoMeans io) {
  if (!r) return send_error(res, r.error(), io);
  send_json(res, *r);
}

bool write_line(httplib::DataSink& sink, const nlohmann::json& j) {
  std::string line = json_text(j) + "\n";
  return sink.write(line.data(), line.size());
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

bool param_true(const httplib::Request& req, const char* name, bool fallback) {
  if (!req.has_param(name)) return fallback;
  std::string v = req.get_param_value(name);
  return v == "1" || v == "true" || v.empty();
}

}  // namespace agora
