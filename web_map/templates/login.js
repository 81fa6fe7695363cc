// Sign in through the session endpoint; the server sets an HttpOnly cookie and a CSRF cookie.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("error");
  var button = document.getElementById("submit");
  function nextPage() {
    // only a page of this site: resolve it as the browser will (it reads "/\\host" as "//host") and compare origins
    var next = new URLSearchParams(window.location.search).get("next") || "/";
    var url;
    try { url = new URL(next, window.location.origin); } catch (e) { return "/"; }
    if (next.charAt(0) !== "/" || url.origin !== window.location.origin) { return "/"; }
    return url.pathname + url.search + url.hash;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    button.disabled = true;
    fetch("/api/auth/session", { method: "POST", body: new URLSearchParams(new FormData(form)),
                                 credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) { window.location.assign(nextPage()); return null; }
        return response.json().then(function (body) { error.textContent = body.message || "登录失败"; });
      })
      .catch(function () { error.textContent = "无法连接服务器，请检查网络后重试"; })
      .finally(function () { button.disabled = false; });
  });
})();
