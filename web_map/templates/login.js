// Sign in through the session endpoint; the server sets an HttpOnly cookie and a CSRF cookie, and
// answers with the page to open next (the `next` of this page's address when the server finds it is
// a path of this site, else "/": gis_server/routers/login.py local_next).
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("error");
  var button = document.getElementById("submit");
  function sameSitePath(target) {
    // a second guard: only "/…", never "//…" or "/\…" (which browsers read as another host)
    return typeof target === "string" && /^\/(?![\/\\])/.test(target) ? target : "/";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    button.disabled = true;
    var body = new URLSearchParams(new FormData(form));
    var next = new URLSearchParams(window.location.search).get("next");
    if (next) { body.set("next", next); }
    fetch("/api/auth/session", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) { window.location.assign(sameSitePath(answer.next)); return; }
          error.textContent = answer.message || "登录失败";
        });
      })
      .catch(function () { error.textContent = "无法连接服务器，请检查网络后重试"; })
      .finally(function () { button.disabled = false; });
  });
})();
