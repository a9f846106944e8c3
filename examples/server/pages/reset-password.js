// Sends the token from this page's link and the new password to the API's
// POST /auth/reset-password, and shows what it answered. Served from the
// same origin, so the page's Content-Security-Policy needs no inline script.
"use strict";

(function () {
  var api = document.documentElement.getAttribute("data-api") || "/api/v1";
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  // Keep the token out of the address bar, history and screenshots.
  if (token && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  var form = document.getElementById("reset");
  var result = document.getElementById("result");
  function show(text, ok) {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
  }
  if (!token) {
    show("This link has no token. Open the link from your email again.", false);
    form.hidden = true;
    return;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var password = form.elements.password.value;
    if (password !== form.elements.confirm.value) {
      show("The two passwords differ.", false);
      return;
    }
    var button = form.querySelector("button");
    button.disabled = true;
    show("Saving…", true);
    fetch(api + "/auth/reset-password", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json, application/problem+json" },
      body: JSON.stringify({ token: token, newPassword: password }),
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (res) {
      if (res.ok) {
        form.hidden = true;
        show("Your password is set. You can now sign in with it.", true);
        return;
      }
      return res.json().catch(function () { return {}; }).then(function (problem) {
        var msg = problem.detail || problem.title || ("The server answered " + res.status + ".");
        if (Array.isArray(problem.errors)) {
          msg += ": " + problem.errors.map(function (e) { return e.message; }).join("; ");
        }
        if (problem.code === "INVALID_TOKEN") {
          msg += " Ask for a new link.";
          form.hidden = true;
        }
        show(msg, false);
        button.disabled = false;
      });
    }).catch(function () {
      show("The server could not be reached. Try again.", false);
      button.disabled = false;
    });
  });
})();
