/* The team inbox's live updates and the saved-reply picker. Every page works without this file.
 *
 * An open thread asks /dashboard/inbox/<id>/updates?after=<cursor> every few seconds and appends
 * the bubbles the server rendered (escaped there, with the thread's own template). The list asks
 * /dashboard/inbox/activity and, when something changed, fetches itself and swaps the list.
 * The saved-reply picker inserts the reply's text into the reply box at the caret.
 */
(function () {
  "use strict";
  var EVERY_MS = 4000;
  document.documentElement.classList.add("js");

  function poll(step) {
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      step().catch(function () { /* the next tick tries again */ }).then(function () { busy = false; });
    }, EVERY_MS);
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (answer) {
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      return answer.json();
    });
  }

  function lastDay(list) {
    var days = list.querySelectorAll(".day-sep span");
    return days.length ? days[days.length - 1].textContent : null;
  }

  function followThread(pane) {
    var list = pane.querySelector(".messages");
    poll(function () {
      var url = pane.dataset.updates + "?after=" + encodeURIComponent(pane.dataset.cursor);
      return getJSON(url).then(function (data) {
        data.items.forEach(function (item) {
          if (list.querySelector('[data-key="' + item.key + '"]')) { return; }
          if (item.day !== lastDay(list)) {
            var separator = document.createElement("li");
            var label = document.createElement("span");
            separator.className = "day-sep";
            label.textContent = item.day;
            separator.appendChild(label);
            list.appendChild(separator);
          }
          list.insertAdjacentHTML("beforeend", item.html);  // rendered and escaped by the server
          list.lastElementChild.classList.add("msg-new");
        });
        pane.dataset.cursor = data.cursor;
        var empty = pane.querySelector(".empty");
        if (data.items.length && empty) { empty.remove(); }
        if (data.items.length) { list.lastElementChild.scrollIntoView({block: "end"}); }
      });
    });
  }

  function followList(holder) {
    poll(function () {
      return getJSON(holder.dataset.activity).then(function (now) {
        if (now.activity === holder.dataset.seen) { return; }
        return fetch(window.location.href, {credentials: "same-origin"}).then(function (answer) {
          return answer.text();
        }).then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("inbox-list");
          if (fresh) { holder.innerHTML = fresh.innerHTML; holder.dataset.seen = fresh.dataset.seen; }
        });
      });
    });
  }

  function savedReplies(picker) {
    var box = document.getElementById(picker.dataset.target);
    picker.addEventListener("change", function () {
      var chosen = picker.options[picker.selectedIndex];
      if (!box || !chosen.dataset.body) { return; }
      var start = box.selectionStart || 0, end = box.selectionEnd || 0;
      box.value = box.value.slice(0, start) + chosen.dataset.body + box.value.slice(end);
      picker.selectedIndex = 0;
      box.focus();
      box.selectionStart = box.selectionEnd = start + chosen.dataset.body.length;
    });
  }

  function openAtTheLatest(composer) {
    // A phone scrolls the page, not the pane: the newest message and the reply box both in view.
    if (window.matchMedia("(max-width: 640px)").matches) { composer.scrollIntoView({block: "end"}); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var pane = document.querySelector(".thread[data-updates]");
    if (pane) { followThread(pane); }
    var holder = document.getElementById("inbox-list");
    if (holder) { followList(holder); }
    var picker = document.getElementById("saved-reply");
    if (picker) { savedReplies(picker); }
    var composer = document.getElementById("reply");
    if (composer && pane) { openAtTheLatest(composer); }
  });
}());
