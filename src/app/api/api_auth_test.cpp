#include "app/api/api_auth.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

constexpr int kPort = 5001;
const std::string kToken = "t0ken";
const std::string kSecret = "5ecret";

ApiRequestView get(std::string_view path) {
  return {.method = "GET", .path = path, .host = "127.0.0.1:5001"};
}

TEST(ApiAuth, TheTokenLetsAProgramIn) {
  ApiAuth auth(kToken, kSecret, kPort);
  auto r = get("/api/v0/id");
  r.authorization = "Bearer t0ken";
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
  r.authorization = "Bearer t0keN";
  EXPECT_EQ(auth.check(r), ApiAccess::unauthorized);
  r.authorization = "t0ken";
  EXPECT_EQ(auth.check(r), ApiAccess::unauthorized);
  // Over the Unix socket the Host is the socket's path: a program needs no loopback Host.
  r.authorization = "Bearer t0ken";
  r.host = "/repo/api.sock";
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
}

TEST(ApiAuth, WithoutTokenOrSessionPagesGoToLoginAndCallsAreRefused) {
  ApiAuth auth(kToken, kSecret, kPort);
  EXPECT_EQ(auth.check(get("/")), ApiAccess::redirect_to_login);
  EXPECT_EQ(auth.check(get("/app.js")), ApiAccess::redirect_to_login);
  EXPECT_EQ(auth.check(get("/api/v0/dashboard/stream")), ApiAccess::unauthorized);
  EXPECT_EQ(auth.check(get("/metrics")), ApiAccess::unauthorized);
  auto post = get("/api/v0/shutdown");
  post.method = "POST";
  EXPECT_EQ(auth.check(post), ApiAccess::unauthorized);
  // The login page, its script and style sheet, and the login post need nothing.
  EXPECT_EQ(auth.check(get("/login")), ApiAccess::allow);
  EXPECT_EQ(auth.check(get("/login.js")), ApiAccess::allow);
  EXPECT_EQ(auth.check(get("/style.css")), ApiAccess::allow);
  auto login = get("/api/v0/session");
  login.method = "POST";
  EXPECT_EQ(auth.check(login), ApiAccess::allow);
}

TEST(ApiAuth, TheSessionSecretOpensTheApiAndEndsAtLogout) {
  ApiAuth auth(kToken, kSecret, kPort);
  auto r = get("/api/v0/peers");
  r.session = "5ecret";
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
  r.session = "5ecreT";
  EXPECT_EQ(auth.check(r), ApiAccess::unauthorized);
  r.session = "t0ken";  // the token is not a session
  EXPECT_EQ(auth.check(r), ApiAccess::unauthorized);
  r.session = "5ecret";
  r.host = "rebind.example:5001";  // a browser's header: a loopback Host
  EXPECT_EQ(auth.check(r), ApiAccess::cross_origin);
  r.host = "127.0.0.1:5001";
  auth.end_sessions();
  EXPECT_EQ(auth.check(r), ApiAccess::unauthorized);
  EXPECT_NE(auth.session_secret(), kSecret);
  const std::string renewed = auth.session_secret();  // the view below must outlive no string
  r.session = renewed;
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
}

TEST(ApiAuth, TheCookieOpensThePagesButNotTheApi) {
  ApiAuth auth(kToken, kSecret, kPort);
  EXPECT_EQ(auth.set_cookie_login(),
            "agora_session_5001=5ecret; Path=/; HttpOnly; SameSite=Strict");
  auto api = get("/api/v0/peers");
  api.cookie = "agora_session_5001=5ecret";
  EXPECT_EQ(auth.check(api), ApiAccess::unauthorized);  // any local port may see the cookie
  auto r = get("/app.js");
  r.cookie = "other=1; agora_session_5001=5ecret";
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
  r.cookie = "agora_session_5002=5ecret";  // another daemon's cookie name
  EXPECT_EQ(auth.check(r), ApiAccess::redirect_to_login);
  r.cookie = "agora_session_5001=5ecreT";
  EXPECT_EQ(auth.check(r), ApiAccess::redirect_to_login);
  r.cookie = "agora_session_5001=";
  EXPECT_EQ(auth.check(r), ApiAccess::redirect_to_login);
  // The token itself is not a session.
  r.cookie = "agora_session_5001=t0ken";
  EXPECT_EQ(auth.check(r), ApiAccess::redirect_to_login);
}

TEST(ApiAuth, CrossOriginIsRefusedWhateverItCarries) {
  ApiAuth auth(kToken, kSecret, kPort);
  auto r = get("/api/v0/id");
  r.authorization = "Bearer t0ken";
  r.cookie = "agora_session_5001=5ecret";
  r.origin = "http://127.0.0.1:5001";
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
  r.origin = "http://evil.example";
  EXPECT_EQ(auth.check(r), ApiAccess::cross_origin);
  r.origin = "http://127.0.0.1:8080";  // another port of the same host
  EXPECT_EQ(auth.check(r), ApiAccess::cross_origin);
  r.origin = "null";
  EXPECT_EQ(auth.check(r), ApiAccess::cross_origin);
  r.origin = "";
  r.sec_fetch_site = "cross-site";
  EXPECT_EQ(auth.check(r), ApiAccess::cross_origin);
  r.sec_fetch_site = "same-site";
  EXPECT_EQ(auth.check(r), ApiAccess::cross_origin);
  r.sec_fetch_site = "same-origin";
  EXPECT_EQ(auth.check(r), ApiAccess::allow);
  // The login post from elsewhere too.
  auto login = get("/api/v0/session");
  login.method = "POST";
  login.origin = "http://evil.example";
  EXPECT_EQ(auth.check(login), ApiAccess::cross_origin);
}

TEST(ApiAuth, BrowserRequestsMustNameALoopbackHost) {
  ApiAuth auth(kToken, kSecret, kPort);
  auto r = get("/");
  r.cookie = "agora_session_5001=5ecret";
  for (std::string_view host : {"127.0.0.1:5001", "localhost:5001", "[::1]:5001", "localhost"}) {
    r.host = host;
    EXPECT_EQ(auth.check(r), ApiAccess::allow) << host;
  }
  // A rebound name (a page at rebind.example whose address became 127.0.0.1).
  for (std::string_view host : {"rebind.example:5001", "127.0.0.1:5002", "", "127.0.0.1.evil"}) {
    r.host = host;
    EXPECT_EQ(auth.check(r), ApiAccess::cross_origin) << host;
  }
  auto login = get("/login");
  login.host = "rebind.example:5001";
  EXPECT_EQ(auth.check(login), ApiAccess::cross_origin);
}

TEST(ApiAuth, FailedLoginsAreLimited) {
  ApiAuth auth(kToken, kSecret, kPort);
  auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  bool limited = false;
  EXPECT_TRUE(auth.try_login("t0ken", t0, limited));
  for (size_t i = 0; i < ApiAuth::kLoginFailuresMax; ++i) {
    EXPECT_FALSE(auth.try_login("guess", t0, limited));
    EXPECT_FALSE(limited);
  }
  // Past the limit even the right token is refused, until the window has passed.
  EXPECT_FALSE(auth.try_login("t0ken", t0 + std::chrono::seconds(1), limited));
  EXPECT_TRUE(limited);
  EXPECT_TRUE(auth.try_login("t0ken", t0 + ApiAuth::kLoginWindow, limited));
  EXPECT_FALSE(limited);
}

TEST(ApiAuth, SessionSecretsAreRandomHex) {
  std::string a = random_session_secret(), b = random_session_secret();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace agora
