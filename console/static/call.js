// The call page: the transcript follows the redacted recording, and a click on a line
// (or on a piece of evidence, or a dot of the sentiment chart) plays from there.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var lines = Array.prototype.slice.call(document.querySelectorAll("#transcript .turn"));
  var starts = lines.map(function (li) { return parseFloat(li.dataset.start); });
  var current = null;

  function lineAt(t) {
    // the last line that started at or before t (binary search: calls can be long)
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found >= 0 ? lines[found] : null;
  }

  function highlight(t) {
    var line = lineAt(t);
    if (line === current) { return; }
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = line;
    if (line) {
      line.classList.add("current");
      line.setAttribute("aria-current", "true");
      var box = line.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        line.scrollIntoView({ block: "center", behavior: "smooth" });
      }
    }
  }

  function seek(t) {
    if (!player || isNaN(t)) { return; }
    player.currentTime = t;
    highlight(t);
    var playing = player.play();
    if (playing && playing.catch) { playing.catch(function () { /* autoplay refused */ }); }
  }

  if (player) {
    player.addEventListener("timeupdate", function () { highlight(player.currentTime); });
    player.addEventListener("seeked", function () { highlight(player.currentTime); });
  }
  lines.forEach(function (li) {
    li.addEventListener("click", function () { seek(parseFloat(li.dataset.start)); });
  });
  document.querySelectorAll(".jump, .chart .dot").forEach(function (el) {
    el.addEventListener("click", function (event) {
      var turn = document.getElementById("turn-" + el.dataset.turn);
      var t = parseFloat(el.dataset.start || (turn && turn.dataset.start));
      if (!isNaN(t)) { event.preventDefault(); seek(t); }
    });
  });
  // the overturn radio makes the comment required (policy: a reason for every change)
  document.querySelectorAll("form.review").forEach(function (form) {
    var comment = form.querySelector("input[name=comment]");
    form.addEventListener("change", function () {
      var verdict = form.querySelector("input[name=verdict]:checked");
      comment.required = verdict && verdict.value === "overturned";
    });
  });
})();
