// Reveal: fetch one password, show it for 30 seconds, then mask it again.
(function () {
  "use strict";
  var SHOWN_MS = 30000;
  var status = document.getElementById("reveal-status");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function mask(secret, button) {
    secret.textContent = secret.getAttribute("data-masked");
    secret.classList.remove("revealed");
    button.textContent = "Reveal";
    button.disabled = false;
  }

  function reveal(button) {
    var secret = button.parentNode.querySelector(".secret");
    button.disabled = true;
    fetch(button.getAttribute("data-reveal"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      cache: "no-store"
    }).then(function (answer) {
      return answer.json().then(function (body) { return { status: answer.status, body: body }; });
    }).then(function (result) {
      if (result.status !== 200) {
        say(result.body && result.body.error ? result.body.error : "The password could not be shown.");
        button.disabled = false;
        return;
      }
      secret.textContent = result.body.password;
      secret.classList.add("revealed");
      button.textContent = "Shown for 30 s";
      say("");
      window.setTimeout(function () { mask(secret, button); }, SHOWN_MS);
    }).catch(function () {
      say("The password could not be shown; check your connection.");
      button.disabled = false;
    });
  }

  document.querySelectorAll("button.reveal").forEach(function (button) {
    button.addEventListener("click", function () { reveal(button); });
  });
})();
