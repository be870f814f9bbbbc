// Writing the local API's answers, shared by the route files: JSON bodies, errors with the status
// their kind maps to (error_status.h), ndjson lines of streamed answers, and query parameters.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "agora/result.h"
#include "app/api/error_status.h"

namespace agora {

// `j` as compact JSON text; bytes that are not UTF-8 (an agent string, an error message a peer
// sent) become U+FFFD instead of an exception: no answer fails on what a peer wrote.
std::string json_text(const nlohmann::json& j);
// {"error": message, "code": kind}
nlohmann::json error_json(const Error& e);
// The error as error_json with its status.
void send_error(httplib::Response& res, const Error& e, IoMeans io = IoMeans::disk);
// The error with status 400, whatever its kind: a parameter the caller got wrong.
void send_bad_request(httplib::Response& res, const Error& e);
// 200 with `body`.
void send_json(httplib::Response& res, const nlohmann::json& body);
// send_json or send_error.
void send_result(httplib::Response& res, const Result<nlohmann::json>& r,
                 IoMeans io = IoMeans::disk);
// Writes `j` as one ndjson line; false once the client is gone.
bool write_line(httplib::DataSink& sink, const nlohmann::json& j);

// A query parameter that must be a decimal uint64; the error names the parameter.
Result<uint64_t> parse_u64(const std::string& text, const char* name);
// A flag parameter: "1", "true" or empty is true; absent is `fallback`.
bool param_true(const httplib::Request& req, const char* name, bool fallback);

}  // namespace agora
