// Pieces shared by the CLI's command files: an error on stderr, and a daemon's JSON answer
// printed as it is (--json) or for people.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "agora/result.h"
#include "app/cli/commands.h"

namespace agora {

using PrintFn = std::function<void(const nlohmann::json&)>;

// Prints "error: <message>" on stderr; returns the exit code 1.
int fail(const Error& e);
// The daemon's answer: its error (exit code 1), else the JSON with --json, or `human(answer)`
// without (exit code 0).
int print_answer(const CommonOptions& o, const Result<nlohmann::json>& answer,
                 const PrintFn& human);
// Connects to the daemon, calls one endpoint (POST or GET) and prints its answer as above.
int call(const CommonOptions& o, bool post, const std::string& path,
         const std::map<std::string, std::string>& params, const PrintFn& human);
// The strings of a JSON array, joined with `separator`.
std::string join_strings(const nlohmann::json& list, const char* separator = ",");

}  // namespace agora
