// The content half of the local HTTP API: add, cat, get, ls, pin, block and repo endpoints.
#pragma once

#include "node/content.h"
#include "node/node.h"

namespace httplib {
class Server;
}

namespace agora {

void add_content_routes(httplib::Server& server, Node& node, Content& content);

}  // namespace agora
