// The login page: posts the token to /api/v0/session, keeps the session secret it answers in
// sessionStorage (this origin only, port included: the dashboard sends it as X-Agora-Session),
// then opens the dashboard. `agora dashboard` prints a link with the token after '#': the fragment never
// reaches the server or its logs, and is removed from the address bar at once.
const form = document.getElementById("login");
const input = document.getElementById("token");
const error = document.getElementById("login-error");

async function login(token) {
  error.textContent = "";
  let res;
  try {
    res = await fetch("/api/v0/session", {
      method: "POST",
      body: new URLSearchParams({ token }),
      credentials: "same-origin",
    });
  } catch (e) {
    error.textContent = `The daemon did not answer: ${e.message}`;
    return;
  }
  if (res.ok) {
    sessionStorage.setItem("agora-session", (await res.json()).session);
    location.replace("/");
    return;
  }
  let message = `HTTP ${res.status}`;
  try {
    message = (await res.json()).error ?? message;
  } catch {}
  error.textContent = `Not logged in: ${message}`;
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  login(input.value.trim());
});

function loginFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!fragment.has("token")) return;
  history.replaceState(null, "", location.pathname);
  login(fragment.get("token"));
}
// The link opened in a tab already at /login changes only the fragment: no new page load.
window.addEventListener("hashchange", loginFromFragment);
loginFromFragment();
