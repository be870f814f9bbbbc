#include "app/cli/dht_commands.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "agora/names.h"
#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"

namespace agora {

namespace {

using nlohmann::json;

std::string stats_line(const json& s) {
  return fmt::format("{} peers asked, {} answered, {} failed, {} hops, {:.1f} ms",
                     s.value("requests", 0), s.value("responses", 0), s.value("failures", 0),
                     s.value("hops", 0), s.value("ms", 0.0));
}

int cmd_findpeer(const CommonOptions& o, const std::string& peer) {
  return call(o, true, "/api/v0/dht/findpeer", {{"arg", peer}}, [](const json& r) {
    std::cout << r["peer"].get<std::string>() << " (" << r["found_by"].get<std::string>() << ")\n";
    for (const auto& a : r["addrs"]) std::cout << "  " << a.get<std::string>() << "\n";
  });
}

int cmd_findprovs(const CommonOptions& o, const std::string& cid) {
  return call(o, true, "/api/v0/dht/findprovs", {{"arg", cid}}, [](const json& r) {
    for (const auto& p : r["providers"])
      std::cout << p["peer"].get<std::string>() << " " << join_strings(p["addrs"], " ") << "\n";
  });
}

int cmd_get(const CommonOptions& o, const std::string& key, const std::string& output) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  auto r = client->post("/api/v0/dht/get", {{"arg", key}});
  if (r && !output.empty()) {
    auto value = decode_hex((*r)["value_hex"].get<std::string>());
    if (!value) return fail(value.error());
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(value->data()), std::streamsize(value->size()));
    if (!out) return fail(make_error(Errc::io, "cannot write " + output));
  }
  return print_answer(o, r, [&](const json& r) {
    std::cout << r["key"].get<std::string>() << "\n";
    if (r.contains("public_key"))
      std::cout << "  " << r["public_key"]["type"].get<std::string>() << " public key of "
                << r["public_key"]["peer"].get<std::string>() << "\n";
    std::cout << "  value " << r["value_hex"].get<std::string>() << "\n";
    if (!output.empty()) std::cout << "  written to " << output << "\n";
  });
}

// A record's value from a file, or why it cannot be read (the OS's reason, or that it is too big:
// records are small, so a large file is a mistake, not a value).
Result<std::string> read_value_file(const std::string& file) {
  constexpr size_t kValueFileBytesMax = 1 << 20;
  std::error_code ec;
  auto status = std::filesystem::status(file, ec);
  if (ec) return make_error(Errc::not_found, "cannot read " + file + ": " + ec.message());
  if (std::filesystem::is_directory(status))
    return make_error(Errc::invalid_input, "cannot read " + file + ": it is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot read " + file + ": " + std::strerror(errno));
  std::string value;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    value.append(buf, size_t(in.gcount()));
    if (value.size() > kValueFileBytesMax)
      return make_error(Errc::too_large, file + " holds over 1 MiB: not a DHT record's value");
  }
  if (in.bad()) return make_error(Errc::io, "cannot read " + file + ": " + std::strerror(errno));
  return value;
}

int cmd_put(const CommonOptions& o, const std::string& key, const std::string& file) {
  auto value = read_value_file(file);
  if (!value) return fail(value.error());
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  return print_answer(o, client->post_body("/api/v0/dht/put", {{"arg", key}}, *value),
                      [](const json& r) {
                        std::cout << "stored " << r["key"].get<std::string>() << " at "
                                  << count_of(r["stored"], "peer") << "\n";
                      });
}

void print_step(const json& s, size_t n) {
  std::string head =
      fmt::format("{:3} {:8.1f} ms  {}", n, s.value("at_ms", 0.0), s["peer"].get<std::string>());
  if (s.value("failed", false)) {
    std::cout << head << "  failed after " << fmt::format("{:.1f}", s.value("ms", 0.0))
              << " ms: " << s.value("error", std::string()) << "\n";
    return;
  }
  std::cout << head << "  answered in " << fmt::format("{:.1f}", s.value("ms", 0.0))
            << " ms: " << s["closer"].size() << " closer peers";
  if (s.value("providers", 0) > 0) std::cout << ", " << s.value("providers", 0) << " providers";
  if (s.value("record", false)) std::cout << ", a record";
  std::cout << "\n";
  for (const auto& p : s["closer"]) std::cout << "        -> " << p.get<std::string>() << "\n";
}

// What the lookup was for: a CID's providers, a /pk/ key's record.
void print_found(const json& r) {
  if (r.contains("providers")) {
    if (r["providers"].empty()) std::cout << "no providers found\n";
    for (const auto& p : r["providers"])
      std::cout << "provider " << p["peer"].get<std::string>() << " "
                << join_strings(p["addrs"], " ") << "\n";
  }
  if (r.contains("record"))
    std::cout << (r["record"].get<bool>() ? "a record was found (agora dht get prints it)"
                                          : "no record found")
              << "\n";
}

int cmd_query(const CommonOptions& o, const std::string& key) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  std::optional<json> result;
  size_t steps = 0;
  if (!o.json) std::cout << "  # at (ms)    peer asked\n";
  Status st =
      stream_ndjson(*client, "POST", "/api/v0/dht/query", {{"arg", key}}, [&](const json& line) {
        if (!line.contains("step")) {
          result = line;
        } else if (o.json) {
          std::cout << line.dump() << "\n";
        } else {
          print_step(line["step"], ++steps);
        }
      });
  if (!st) return fail(st.error());
  if (!result) return fail(make_error(Errc::io, "the daemon ended the query without a result"));
  if (result->contains("error") && !result->contains("done")) return fail(error_from_json(*result));
  if (o.json) {
    std::cout << result->dump() << "\n";
  } else {
    std::cout << "closest peers to " << (*result)["key"].get<std::string>() << ":\n";
    for (const auto& p : (*result)["closest"])
      std::cout << "  " << p["peer"].get<std::string>() << " " << join_strings(p["addrs"], " ")
                << "\n";
    print_found(*result);
    std::cout << stats_line((*result)["stats"]) << "\n";
  }
  return result->value("ok", false) ? 0 : 1;
}

int cmd_status(const CommonOptions& o) {
  return call(o, false, "/api/v0/dht/status", {}, [](const json& r) {
    std::cout << "mode " << r["mode"].get<std::string>()
              << (r["bootstrapped"].get<bool>() ? ", bootstrapped" : ", not bootstrapped yet")
              << "\nrouting table " << r["routing_table"] << " peers (" << r["routing_loaded"]
              << " loaded at start)\nprovider records " << r["provider_records"] << " for "
              << r["provider_keys"] << " keys; " << r["provided_keys"] << " keys provided by us, "
              << r["provide_queue"] << " waiting\nvalue records " << r["value_records"]
              << "\nqueries running " << r["queries_running"] << ", requests in flight "
              << r["requests_in_flight"] << "\nbad input refused " << r["bad_input"] << "\n";
  });
}

int cmd_table(const CommonOptions& o) {
  return call(o, false, "/api/v0/dht/table", {}, [](const json& r) {
    for (const auto& p : r["peers"])
      std::cout << fmt::format("{:3} ", p["bucket"].get<int>()) << p["peer"].get<std::string>()
                << (p["connected"].get<bool>() ? " connected " : " ")
                << join_strings(p["addrs"], " ") << "\n";
    std::cout << count_of(r["size"], "peer") << "\n";
  });
}

}  // namespace

void register_dht_commands(CLI::App& app, DhtArgs& a) {
  a.dht = app.add_subcommand(
      "dht", "The Kademlia DHT (/ipfs/kad/1.0.0): find peers, providers and records");
  a.dht->require_subcommand(1);
  a.findpeer = a.dht->add_subcommand("findpeer", "Find a peer's addresses through the DHT");
  a.findpeer->add_option("peer", a.arg, "Peer id")->required();
  a.findprovs = a.dht->add_subcommand("findprovs", "Find the peers that provide a CID");
  a.findprovs->add_option("cid", a.arg, "CID")->required();
  a.get = a.dht->add_subcommand(
      "get",
      "Get a record from the DHT. Only public-key records exist: the key is /pk/<peer id> and "
      "the value is that peer's public key (the libp2p PublicKey protobuf), printed in hex");
  a.get->add_option("key", a.arg, "/pk/<peer id>")->required();
  a.get->add_option("-o,--output", a.output, "Also write the raw value to this file");
  a.put = a.dht->add_subcommand(
      "put",
      "Store a record in the DHT (here and at the 20 closest peers). Only public-key records: "
      "<key> is /pk/<peer id> and <value-file> holds that peer's public key as the libp2p "
      "PublicKey protobuf (the bytes `agora dht get /pk/<peer> -o FILE` writes). A value that is "
      "not the key of that peer is refused before anything is sent");
  a.put->add_option("key", a.arg, "/pk/<peer id>")->required();
  a.put->add_option("value-file", a.value_file, "File with the record's value")->required();
  a.query = a.dht->add_subcommand(
      "query",
      "Look up a key and print every step: who was asked, what it answered (closer peers, "
      "providers, a record), how long it took. A peer id: its closest peers; a CID: its "
      "providers; /pk/<peer id>: that record. Exit code 1 when nothing was found");
  a.query->add_option("key", a.arg, "A peer id, a CID, or /pk/<peer id>")->required();
  a.status = a.dht->add_subcommand("status", "Mode, routing table size, records held");
  a.table = a.dht->add_subcommand("table", "The routing table: peers by bucket");
}

std::optional<int> run_dht_command(const CommonOptions& o, DhtArgs& a) {
  if (!a.dht || !*a.dht) return std::nullopt;
  if (*a.findpeer) return cmd_findpeer(o, a.arg);
  if (*a.findprovs) return cmd_findprovs(o, a.arg);
  if (*a.get) return cmd_get(o, a.arg, a.output);
  if (*a.put) return cmd_put(o, a.arg, a.value_file);
  if (*a.query) return cmd_query(o, a.arg);
  if (*a.status) return cmd_status(o);
  if (*a.table) return cmd_table(o);
  return 1;
}

}  // namespace agora
