// The new key's page: copy the key, and let no reload or back button show it again.
(function () {
  "use strict";
  var page = document.getElementById("key-created");
  if (!page) { return; }
  // The page answered a POST: the history entry becomes the list, so reloading shows the list.
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", page.getAttribute("data-list"));
  }
  var field = document.getElementById("new-key");
  var button = document.getElementById("copy-key");
  var status = document.getElementById("copy-status");
  function done(text) { status.textContent = text; }
  button.addEventListener("click", function () {
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { done("Copied."); },
        function () { done("Press Ctrl+C (or ⌘C) to copy the selected key."); }
      );
      return;
    }
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    done(copied ? "Copied." : "Press Ctrl+C (or ⌘C) to copy the selected key.");
  });
}());
