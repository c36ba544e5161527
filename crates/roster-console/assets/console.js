// Roster admin console: small progressive enhancements. Every page works without this file.
// - form[data-confirm]: ask before submitting.
// - [data-poll]: refresh the element's content from a fragment URL every few seconds
//   (import progress, bulk retries), until the fragment says it is finished.
// - button[data-copy]: copy the value of the input it names.
// - form[data-live]: after a change, fetch the fragment at data-live with the form's values and
//   put it into the element named by data-target (a policy's requirement sentence).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    if (!input) return;
    input.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        document.execCommand("copy"); done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  function fetchFragment(url) {
    return fetch(url, {
      headers: { "X-Roster-Fragment": "1" },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
  }

  function poll(element) {
    var url = element.dataset.poll;
    var every = parseInt(element.dataset.every || "2000", 10);
    var tick = function () {
      fetchFragment(url).then(function (html) {
        element.innerHTML = html;
        var marker = element.querySelector("[data-poll-done]");
        if (marker) {
          if (element.dataset.reloadWhenDone) window.location.reload();
          return;
        }
        window.setTimeout(tick, every);
      }, function () {
        window.setTimeout(tick, every * 2);
      });
    };
    window.setTimeout(tick, every);
  }

  function live(form) {
    var target = document.getElementById(form.dataset.target);
    if (!target) return;
    var timer = null;
    var update = function () {
      var params = new URLSearchParams(new FormData(form));
      params.delete("_csrf");
      fetchFragment(form.dataset.live + "?" + params.toString()).then(function (html) {
        target.innerHTML = html;
      }, function () {});
    };
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 150);
    });
    form.addEventListener("change", update);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("form[data-live]").forEach(live);
  });
})();
