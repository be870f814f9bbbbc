// `agora doctor [<cid>|<peer id>|<multiaddr>]`: where a problem lies, with the evidence and the
// fix. It runs its checks in order, each through the daemon's API or on this machine:
//
//   repo        the repo is there, its file system has room (fail under 256 MiB free)
//   daemon      a daemon answers for the repo
//   listening   each TCP address the daemon listens on accepts a connection from here
//   reachability up to 3 peers asked to dial this node back (AutoNAT): one did, ok; all failed,
//               `local`; no answer: inbound connections, and the addresses peers see this node
//               at (identify) against those it listens on
//   bootstrap   a configured bootstrap peer is connected, or one can be dialled now
//   peers       connections and the DHT routing table
//   failures    this node's failed dials and outbound handshakes among the recorded events
//   transfers   the daemon's running operations (on the target, if any): bytes so far, and
//               whether one has had no byte for 10 s
//   and for a target:
//   content     a CID: stored here; else its providers in the DHT; whether one answers a
//               ping; whether its root block comes (the node's fetch, 30 s stall timeout)
//   peer        a peer id or multiaddr: 3 pings reach it (median round trip of 1 s or more: a
//               slow link, `connection`; 300 ms or more: a warning); for a peer id that does not
//               answer, whether the DHT knows its addresses; then `link`: a 512 KiB perf
//               upload and the share of segments the kernel sent again (TCP_INFO): 3% or
//               more is a lossy link, `connection`
//
// The verdict is the kind of the first check that failed: `local` (this machine: the repo, the
// disk, no daemon, a closed port), `connection` (peers exist but this node cannot reach or use
// them: bootstrap peers that refuse, a provider whose record exists but that cannot be reached
// or does not send), `network` (what is needed is not in the network: nobody provides the
// content, the DHT knows no address of the peer), or `ok`. Exit code 0 for `ok`, 2 otherwise.
//
// Bounds: at most 3 providers are tried; each API call is bounded by the daemon's own timeouts
// (dial, DHT query, fetch stall), so a run ends within about a minute and a half.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "app/cli/commands.h"

namespace agora {

int cmd_doctor(const CommonOptions& o, const std::string& target);
// The checks without a target, as `doctor --json` prints them (for `debug bundle`).
nlohmann::json doctor_report(const CommonOptions& o);

}  // namespace agora
