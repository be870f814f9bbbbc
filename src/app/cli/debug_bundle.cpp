#include "app/cli/debug_bundle.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"
#include "app/cli/doctor.h"
#include "app/cli/tar_gz_writer.h"
#include "app/cli/version_info.h"
#include "app/events_limits.h"

namespace agora {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kConfigBytesMax = 1 << 20;

bool secret_looking(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* word :
       {"token", "secret", "password", "passphrase", "credential", "private", "key", "auth"})
    if (name.find(word) != std::string::npos) return true;
  return false;
}

std::string utc_stamp(std::time_t t, const char* format) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

// The archive's members, and the manifest's record of each.
class Bundle {
 public:
  Bundle(std::string dir, std::time_t now) : dir_(std::move(dir)), now_(now) {}
  void add(const std::string& name, std::string content, const std::string& source) {
    manifest_files_.push_back({{"name", name}, {"source", source}, {"bytes", content.size()}});
    files_.emplace_back(name, std::move(content));
  }
  void missing(const std::string& name, const std::string& source, const std::string& why) {
    manifest_files_.push_back({{"name", name}, {"source", source}, {"error", why}});
  }
  Status write(TarGzWriter& out, json manifest) {
    manifest["files"] = manifest_files_;
    AGORA_TRY(out.add(dir_ + "/manifest.json", manifest.dump(2) + "\n", now_));
    for (const auto& [name, content] : files_) AGORA_TRY(out.add(dir_ + "/" + name, content, now_));
    return {};
  }
  size_t count() const { return files_.size(); }
  size_t missing_count() const { return manifest_files_.size() - files_.size(); }

 private:
  std::string dir_;
  std::time_t now_;
  std::vector<std::pair<std::string, std::string>> files_;
  json manifest_files_ = json::array();
};

void add_config(Bundle& bundle, const fs::path& repo) {
  fs::path path = repo / "config.toml";
  std::ifstream in(path, std::ios::binary);
  if (!in) return bundle.missing("config.toml", path.string(), "cannot be read");
  std::string text(kConfigBytesMax + 1, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(size_t(in.gcount()));
  if (text.size() > kConfigBytesMax)
    return bundle.missing("config.toml", path.string(), "over 1 MiB: left out");
  bundle.add("config.toml", redact_config_text(text), path.string() + " (redacted)");
}

// Every event still in the recorder, oldest first, as JSON lines.
Result<std::string> all_events(ApiClient& client) {
  std::string lines;
  uint64_t since = 0;
  for (int page = 0; page < 1000; ++page) {
    AGORA_ASSIGN(json answer,
                 client.get("/api/v0/events", {{"since", std::to_string(since)},
                                               {"limit", std::to_string(kEventsLimitMax)}}));
    const json events = answer.value("events", json::array());
    for (const json& e : events) {
      lines += e.dump() + "\n";
      since = std::max(since, e.value("seq", uint64_t(0)));
    }
    if (events.size() < kEventsLimitMax) break;
  }
  return lines;
}

void add_from_daemon(Bundle& bundle, ApiClient& client) {
  const std::pair<const char*, const char*> answers[] = {
      {"id.json", "/api/v0/id"},
      {"swarm_peers.json", "/api/v0/swarm/peers"},
      {"swarm_limits.json", "/api/v0/swarm/limits"},
      {"swarm_known.json", "/api/v0/swarm/known"},
      {"bootstrap.json", "/api/v0/bootstrap/list"},
      {"dht_status.json", "/api/v0/dht/status"},
      {"dht_table.json", "/api/v0/dht/table"},
      {"ops.json", "/api/v0/ops"},
      {"repo_stat.json", "/api/v0/repo/stat"},
  };
  for (const auto& [name, path] : answers) {
    auto answer = client.get(path);
    if (answer)
      bundle.add(name, answer->dump(2) + "\n", std::string("GET ") + path);
    else
      bundle.missing(name, std::string("GET ") + path, answer.error().message);
  }
  auto events = all_events(client);
  if (events)
    bundle.add("events.jsonl", std::move(*events), "GET /api/v0/events");
  else
    bundle.missing("events.jsonl", "GET /api/v0/events", events.error().message);
  auto metrics = client.get_text("/metrics");
  if (metrics)
    bundle.add("metrics.prom", std::move(*metrics), "GET /metrics");
  else
    bundle.missing("metrics.prom", "GET /metrics", metrics.error().message);
}

}  // namespace

std::string redact_config_text(std::string_view toml) {
  std::string out;
  std::istringstream lines{std::string(toml)};
  std::string line;
  while (std::getline(lines, line)) {
    size_t start = line.find_first_not_of(" \t");
    size_t eq = line.find('=');
    if (start == std::string::npos || line[start] == '#' || line[start] == '[' ||
        eq == std::string::npos) {
      out += line + "\n";
      continue;
    }
    std::string value = line.substr(eq + 1);
    // A secret-looking key, or an inline table holding one ({ authorization = "..." }).
    bool secret = secret_looking(line.substr(start, eq - start)) ||
                  (value.find('{') != std::string::npos && secret_looking(value));
    if (!secret) {
      out += line + "\n";
      continue;
    }
    out += line.substr(0, eq) + "= \"<redacted>\"\n";
    // A multi-line string goes with it, up to its closing quotes.
    for (const char* quotes : {"\"\"\"", "\'\'\'"}) {
      size_t open = value.find(quotes);
      if (open == std::string::npos || value.find(quotes, open + 3) != std::string::npos) continue;
      while (std::getline(lines, line) && line.find(quotes) == std::string::npos) {
      }
    }
  }
  return out;
}

int cmd_debug_bundle(const CommonOptions& o, const std::string& output) {
  std::time_t now = std::time(nullptr);
  std::string dir = "agora-debug-" + utc_stamp(now, "%Y%m%dT%H%M%SZ");
  fs::path dest = output.empty() ? fs::path(dir + ".tar.gz") : fs::path(output);
  auto archive = TarGzWriter::create(dest);
  if (!archive) return fail(archive.error());

  Bundle bundle(dir, now);
  bundle.add("version.json", version_json().dump(2) + "\n", "this agora binary");
  bundle.add("doctor.json", doctor_report(o).dump(2) + "\n", "agora doctor --json");
  add_config(bundle, o.repo);
  json manifest = {{"created", utc_stamp(now, "%Y-%m-%dT%H:%M:%SZ")},
                   {"repo", fs::absolute(o.repo).string()}};
  auto client = ApiClient::connect(o.repo);
  manifest["daemon_running"] = client.ok();
  if (client) {
    add_from_daemon(bundle, *client);
  } else {
    manifest["daemon_error"] = client.error().message;
  }
  if (Status st = bundle.write(**archive, manifest); !st) return fail(st.error());
  if (Status st = (*archive)->finish(); !st) return fail(st.error());

  if (o.json) {
    std::cout << json{{"path", dest.string()},
                      {"files", bundle.count() + 1},
                      {"missing", bundle.missing_count()},
                      {"daemon_running", client.ok()}}
                     .dump()
              << "\n";
  } else {
    std::cout << "wrote " << dest.string() << ": " << bundle.count() + 1 << " files";
    if (!client) std::cout << " (no daemon runs for this repo: its state is not in the bundle)";
    if (client && bundle.missing_count() > 0)
      std::cout << " (" << bundle.missing_count() << " could not be had: see manifest.json)";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace agora
