#include "app/api/api_auth.h"

#include "app/cli/cli_util.h"

namespace agora {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

bool is_page(std::string_view path) { return !starts_with(path, "/api/") && path != "/metrics"; }

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool is_loopback_host(std::string_view host, int port) {
  std::string with_port = ":" + std::to_string(port);
  for (std::string_view name : {"127.0.0.1", "localhost", "[::1]"}) {
    if (host == name) return true;
    if (host.size() == name.size() + with_port.size() && starts_with(host, name) &&
        host.substr(name.size()) == with_port)
      return true;
  }
  return false;
}

std::string random_session_secret() { return random_hex(32); }

ApiAuth::ApiAuth(std::string token, std::string session_secret, int port)
    : token_(std::move(token)), session_secret_(std::move(session_secret)), port_(port) {}

std::string ApiAuth::session_cookie_name() const {
  return "agora_session_" + std::to_string(port_);
}

std::string ApiAuth::session_secret() const {
  std::lock_guard lock(mu_);
  return session_secret_;
}

void ApiAuth::end_sessions() {
  std::string fresh = random_session_secret();
  std::lock_guard lock(mu_);
  session_secret_ = std::move(fresh);
}

std::string ApiAuth::set_cookie_login() const {
  return session_cookie_name() + "=" + session_secret() + "; Path=/; HttpOnly; SameSite=Strict";
}

std::string ApiAuth::set_cookie_logout() const {
  return session_cookie_name() + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

bool ApiAuth::cross_origin(const ApiRequestView& r) const {
  if (r.sec_fetch_site == "cross-site" || r.sec_fetch_site == "same-site") return true;
  if (r.origin.empty()) return false;
  // The only origin allowed is this server's, as the browser reached it (Host).
  return r.host.empty() || r.origin != "http://" + std::string(r.host);
}

bool ApiAuth::has_session_cookie(std::string_view cookie_header) const {
  std::string_view value = cookie_value(cookie_header, session_cookie_name());
  return !value.empty() && constant_time_equal(value, session_secret());
}

ApiAccess ApiAuth::check(const ApiRequestView& r) const {
  if (cross_origin(r)) return ApiAccess::cross_origin;
  const bool login = (r.method == "GET" && (r.path == kLoginPath || r.path == kLoginScriptPath ||
                                            r.path == kStylePath)) ||
                     (r.method == "POST" && r.path == kSessionPath);
  const bool browser = login || !r.cookie.empty() || !r.session.empty();
  if (browser && !is_loopback_host(r.host, port_)) return ApiAccess::cross_origin;
  if (login) return ApiAccess::allow;
  const bool page = is_page(r.path) && r.method == "GET";
  if (!r.authorization.empty()) {
    if (starts_with(r.authorization, "Bearer ") &&
        constant_time_equal(r.authorization.substr(7), token_))
      return ApiAccess::allow;
  } else if (!r.session.empty()) {
    if (constant_time_equal(r.session, session_secret())) return ApiAccess::allow;
  } else if (page && has_session_cookie(r.cookie)) {
    return ApiAccess::allow;  // a cookie opens the static pages only
  }
  return page ? ApiAccess::redirect_to_login : ApiAccess::unauthorized;
}

bool ApiAuth::try_login(std::string_view candidate, std::chrono::steady_clock::time_point now,
                        bool& limited) {
  std::lock_guard lock(mu_);
  while (!failures_.empty() && now - failures_.front() >= kLoginWindow) failures_.pop_front();
  limited = failures_.size() >= kLoginFailuresMax;
  if (limited) return false;
  if (constant_time_equal(candidate, token_)) return true;
  failures_.push_back(now);
  return false;
}

}  // namespace agora
