// Roster admin console: small progressive enhancements. Every page works without this file.
// - form[data-confirm]: ask before submitting.
// - [data-poll]: refresh the element's content from a fragment URL every few seconds
//   (import progress, bulk retries), until the fragment says it is finished.
// - button[data-copy]: copy the value of the input it names.
// - form[data-live]: after a change, fetch the fragment at data-live with the form's values and
//   put it into the element named by data-target (a policy's requirement sentence).
// - ul[data-check-password]: mark each password requirement met or unmet as the user types in
//   the field it names (end-user pages; the server's check still decides).
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

  // Character classes as roster-core counts them (char::is_lowercase, is_uppercase, is_numeric;
  // a symbol is anything visible that is not a letter or a number).
  var LOWER = /\p{Lowercase}/u, UPPER = /\p{Uppercase}/u, NUMBER = /\p{N}/u;
  var LETTER_OR_NUMBER = /[\p{Alphabetic}\p{N}]/u, SPACE_OR_CONTROL = /[\s\p{Cc}]/u;

  function passwordStats(password) {
    var s = { chars: 0, lower: 0, upper: 0, number: 0, symbol: 0 };
    Array.from(password).forEach(function (c) {
      s.chars += 1;
      if (LOWER.test(c)) s.lower += 1;
      else if (UPPER.test(c)) s.upper += 1;
      else if (NUMBER.test(c)) s.number += 1;
      else if (!LETTER_OR_NUMBER.test(c) && !SPACE_OR_CONTROL.test(c)) s.symbol += 1;
    });
    return s;
  }

  function ruleMet(li, password, s) {
    var bound = Number(li.dataset.bound || 0);
    var forbidden = (li.dataset.forbidden || "").split("\n").filter(Boolean);
    var lowered = password.toLowerCase();
    switch (li.dataset.rule) {
      case "minLength": return s.chars >= bound;
      case "maxLength": return s.chars <= bound;
      case "minLowerCase": return s.lower >= bound;
      case "minUpperCase": return s.upper >= bound;
      case "minNumber": return s.number >= bound;
      case "minSymbol": return s.symbol >= bound;
      case "minCharacterGroups":
        return [s.lower, s.upper, s.number, s.symbol].filter(function (n) { return n > 0; }).length >= bound;
      case "excludeUsername": case "excludeFirstName": case "excludeLastName":
        return !forbidden.some(function (f) { return lowered.indexOf(f) >= 0; });
      default: return null;
    }
  }

  function checkPassword(list) {
    var input = document.getElementById(list.dataset.checkPassword);
    if (!input) return;
    var update = function () {
      var password = input.value;
      var s = passwordStats(password);
      list.querySelectorAll("li[data-bound]").forEach(function (li) {
        var met = ruleMet(li, password, s);
        if (met === null) return;
        li.classList.toggle("met", password.length > 0 && met);
        li.classList.toggle("unmet", password.length > 0 && !met);
      });
    };
    input.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("ul[data-check-password]").forEach(checkPassword);
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("form[data-live]").forEach(live);
  });
})();
