// Pieces shared by the CLI's command files: errors on stderr (a JSON object under --json) with
// stable exit codes, and a daemon's JSON answer printed as it is (--json) or for people.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "agora/result.h"
#include "app/cli/commands.h"

namespace agora {

class ApiClient;

// The CLI's exit codes (docs/cli.md); scripts rely on them, so they never change meaning.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;         // the command failed; the error's kind says why
inline constexpr int kExitProblemsFound = 2;  // `repo verify` found corrupt or missing blocks
inline constexpr int kExitUsage = 64;         // the command line is wrong (sysexits' EX_USAGE)
inline constexpr int kExitNoDaemon = 69;      // no daemon runs for the repo (EX_UNAVAILABLE)
// The error kinds the CLI adds to Errc's names (errc_name).
inline constexpr const char* kKindUsage = "usage";
inline constexpr const char* kKindNoDaemon = "no_daemon";

using PrintFn = std::function<void(const nlohmann::json&)>;

// Errors are printed as JSON (--json) from here on; set once the command line is parsed.
void set_json_errors(bool on);
bool json_errors();
// Prints an error on stderr: "error: <message>", or under --json one line
// {"kind", "message", "exit_code"} plus `extra`'s members. Returns the exit code.
int print_error(const std::string& kind, const std::string& message, int exit_code,
                const nlohmann::json& extra = nlohmann::json::object());
// An Error from the daemon or from here: kind is its Errc's name, or no_daemon (exit code 69);
// exit code 1 otherwise.
int fail(const Error& e);
// The daemon's answer: its error, else the JSON with --json, or `human(answer)` without (exit
// code 0).
int print_answer(const CommonOptions& o, const Result<nlohmann::json>& answer,
                 const PrintFn& human);
// Connects to the daemon, calls one endpoint (POST or GET) and prints its answer as above.
int call(const CommonOptions& o, bool post, const std::string& path,
         const std::map<std::string, std::string>& params, const PrintFn& human);
// "1 block", "2 blocks": `n` and the noun in the number it needs (`many` defaults to one + "s").
std::string count_of(uint64_t n, const std::string& one, const std::string& many = "");
// The same for a count in a daemon's JSON answer (0 when it is not a count).
std::string count_of(const nlohmann::json& n, const std::string& one, const std::string& many = "");
// Calls a streaming endpoint answering NDJSON and hands each line that is a JSON object to
// `on_line`, in order (lines that are not objects are skipped).
Status stream_ndjson(ApiClient& client, const std::string& method, const std::string& path,
                     const std::multimap<std::string, std::string>& params,
                     const std::function<void(const nlohmann::json&)>& on_line);
// The strings of a JSON array, joined with `separator`.
std::string join_strings(const nlohmann::json& list, const char* separator = ",");
// `bytes` random bytes from the operating system (getrandom), as lowercase hex; throws when it
// has none to give. Session secrets, trace and span ids.
std::string random_hex(size_t bytes);

}  // namespace agora
