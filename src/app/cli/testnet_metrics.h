// `agora testnet up --metrics`: Debian's Prometheus (the `prometheus` binary on PATH, or
// $AGORA_PROMETHEUS) scraping every daemon of the testnet, so the testnet can be watched with
// docs/grafana/agora-dashboard.json. Its files live in <testnet>/prometheus/: prometheus.yml (a
// job per daemon: its API address, its api.token as the bearer credential), data/ (the TSDB),
// prometheus.log, and prometheus.pid while it runs. It listens on loopback only; `testnet down`
// stops it.
//
// Bounds: scrapes every 5 s; the TSDB keeps 1 day (--storage.tsdb.retention.time=1d).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "agora/result.h"
#include "app/cli/testnet.h"

namespace agora::testnet {

// The scrape configuration for the daemons of `state`.
Result<std::string> prometheus_config(const State& state);

// Writes the configuration and starts Prometheus on 127.0.0.1:`port` in its own session.
// Errc::not_found when no Prometheus binary is found; Errc::exists when one already runs for
// this testnet. Returns its URL once it answers.
Result<std::string> start_prometheus(const std::filesystem::path& dir, const State& state,
                                     uint16_t port);

// Stops the testnet's Prometheus if it runs (SIGTERM, then SIGKILL after 10 s). True if one ran.
bool stop_prometheus(const std::filesystem::path& dir);

}  // namespace agora::testnet
