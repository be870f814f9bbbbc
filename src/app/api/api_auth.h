// Who may use the local API, and from where: the token for programs, a session cookie for the
// dashboard's browser, and no cross-origin access at all.
//
// - A program (the CLI, curl, scripts) sends `Authorization: Bearer <api.token>`.
// - A browser logs in once at /login: it posts the token to /api/v0/session and gets a session
//   secret, random, made when the daemon started and again at every logout (so a logout ends
//   every session; so does a restart); it is not the token. The page keeps it in sessionStorage,
//   which is scoped to this origin (port included), and sends it as `X-Agora-Session` with every
//   call: a header no other origin can make the browser send (it would need CORS, which is never
//   granted). The login also sets a cookie `agora_session_<port>` (HttpOnly, SameSite=Strict) with
//   the same secret, but a cookie only opens the static pages: browsers send one host's cookies
//   to all its ports, so a server on another local port could learn it, and with it no data.
// - Only the login page (/login, its script and the style sheet) and the login post work without
//   either. Any other page asked for without one is
//   redirected to /login; any other call gets 401.
// - Cross-origin: a request whose Origin is not this server's own, or that the browser marks
//   `Sec-Fetch-Site: cross-site` or `same-site` (another port of localhost is same-site), is
//   refused with 403 whatever it carries, and no answer has CORS headers. Browser requests (a
//   cookie, or the login) must name a loopback Host, which keeps out DNS rebinding.
// - Failed logins are limited: at most kLoginFailuresMax in kLoginWindow, across all clients;
//   past that every login is refused (429) until the window passes, so the token cannot be guessed
//   at speed (it has 256 bits anyway).
//
// Sans-I/O: requests come in as plain views, time as an argument. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace agora {

struct ApiRequestView {
  std::string_view method;
  std::string_view path;
  std::string_view authorization;   // the header, or empty
  std::string_view cookie;          // the Cookie header, or empty
  std::string_view session;         // the X-Agora-Session header, or empty
  std::string_view origin;          // the Origin header, or empty
  std::string_view host;            // the Host header, or empty
  std::string_view sec_fetch_site;  // or empty
};

enum class ApiAccess {
  allow,              // a valid token or session, or the login page and post
  redirect_to_login,  // a page, without a token or session
  unauthorized,       // an API call without a token or session (401)
  cross_origin,       // refused whatever it carries (403)
};

class ApiAuth {
 public:
  static constexpr size_t kLoginFailuresMax = 20;
  static constexpr std::chrono::seconds kLoginWindow{60};
  static constexpr std::string_view kLoginPath = "/login";
  static constexpr std::string_view kLoginScriptPath = "/login.js";
  static constexpr std::string_view kStylePath = "/style.css";
  static constexpr std::string_view kSessionPath = "/api/v0/session";

  // `session_secret`: random, made once per daemon run (hex). `port`: the TCP port served.
  ApiAuth(std::string token, std::string session_secret, int port);

  ApiAccess check(const ApiRequestView& request) const;
  // For the login post: whether `candidate` is the token. A failure counts towards the limit;
  // Errc-free: false also when the limit is hit (then `limited` is set).
  bool try_login(std::string_view candidate, std::chrono::steady_clock::time_point now,
                 bool& limited);
  std::string session_cookie_name() const;
  std::string session_secret() const;
  // Logout: a new secret, so every session (every tab) ends.
  void end_sessions();
  // The Set-Cookie value for a login, and for a logout (expired at once).
  std::string set_cookie_login() const;
  std::string set_cookie_logout() const;

 private:
  bool cross_origin(const ApiRequestView& request) const;
  bool has_session_cookie(std::string_view cookie_header) const;

  std::string token_;
  std::string session_secret_;
  int port_;
  mutable std::mutex mu_;
  std::deque<std::chrono::steady_clock::time_point> failures_;  // at most kLoginFailuresMax
};

// True for "127.0.0.1:<port>", "localhost:<port>" and "[::1]:<port>" (and without the port).
bool is_loopback_host(std::string_view host, int port);
// Compares in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);
// 32 random bytes from the operating system, as hex.
std::string random_session_secret();

}  // namespace agora
