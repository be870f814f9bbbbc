// `agora debug bundle`: one .tar.gz for a bug report. It holds what a maintainer asks for first,
// gathered from the running daemon through its API (id, connections, limits, the peer store,
// bootstrap list, DHT status and routing table, operations, repo stat, every event still in the
// flight recorder, the metrics) and from the repo (config.toml, with secret-looking values
// redacted), with agora's version and a manifest.json that says where each file came from and
// what could not be had, and the `doctor --json` report. Never in it: identity.key, api.token,
// swarm.key (only the key's fingerprint, which `id` shows), the content or the names of pins.
//
// Without a running daemon the bundle still has the local files, and the manifest says why the
// rest is missing. A request that fails is recorded in the manifest; the bundle is still written.
//
// Bounds: the events are read in pages of at most 10,000, up to the recorder's rings (each holds at
// most `event_buffer_max` events); every API answer is bounded by the daemon's own limits.
#pragma once

#include <string>
#include <string_view>

#include "app/cli/commands.h"

namespace agora {

// The config's text with the value of every `name = value` line whose name looks secret (token,
// secret, password, passphrase, credential, private, key, auth), or whose inline table holds
// such a name, replaced by "<redacted>" (a multi-line string value with all its lines).
std::string redact_config_text(std::string_view toml);

int cmd_debug_bundle(const CommonOptions& o, const std::string& output);

}  // namespace agora
