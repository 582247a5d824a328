// The Live page: new calls, transcript lines and alerts arrive as Server-Sent Events from
// /live/stream and are added to the page. Text goes in with textContent only, never as
// HTML. Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var list = document.getElementById("live-calls");
  var empty = document.getElementById("live-empty");
  if (!status || !list || !window.EventSource) { return; }

  function cardOf(callId) {
    var cards = list.querySelectorAll("[data-call]");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].dataset.call === callId) { return cards[i]; }
    }
    return null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function has(container, attribute, id) {
    return container.querySelector("[" + attribute + "='" + String(Number(id)) + "']") !== null;
  }

  function newCard(call) {
    var card = el("section", "card live-call");
    card.dataset.call = call.id;
    var title = el("h2");
    var link = el("a", "mono", call.id);
    link.href = "/live?call=" + encodeURIComponent(call.id);
    title.appendChild(link);
    card.appendChild(title);
    var meta = el("p", "muted small");
    meta.appendChild(document.createTextNode("agent "));
    meta.appendChild(el("span", "agent"));
    meta.appendChild(document.createTextNode(" · started " + call.started_at.slice(11) + " · "));
    meta.appendChild(el("span", "state"));
    card.appendChild(meta);
    var reason = el("p", "reason");
    reason.hidden = true;
    card.appendChild(reason);
    card.appendChild(el("ul", "live-alerts"));
    card.appendChild(el("ol", "transcript"));
    list.insertBefore(card, list.firstChild);
    return card;
  }

  function showCall(call) {
    var card = cardOf(call.id) || newCard(call);
    card.classList.toggle("open", call.in_progress);
    card.classList.toggle("closed", !call.in_progress);
    var agent = card.querySelector(".agent");
    if (agent) { agent.textContent = call.agent || "unknown"; }
    card.querySelector(".state").textContent = call.in_progress ? "on the line" : "ended";
    var reason = card.querySelector(".reason");
    reason.hidden = call.in_progress;
    reason.textContent = call.in_progress ? "" : "Closed: " + (call.close_reason || "no reason given") +
      (call.kept_for_batch ? " · the audio received is kept for the batch analysis" : "");
    if (empty) { empty.hidden = true; }
  }

  function addSegment(s) {
    var card = cardOf(s.call_id);
    if (!card) { return; }
    var lines = card.querySelector("ol.transcript");
    if (has(lines, "data-seg", s.id)) { return; }
    var speaker = s.speaker === "agent" ? "Agent" : s.speaker === "customer" ? "Customer" : s.speaker;
    var line = el("li", "turn " + s.speaker.replace(/[^a-z_-]/gi, ""));
    line.dataset.seg = String(s.id);
    line.appendChild(el("span", "when", s.clock));
    line.appendChild(el("span", "who", speaker));
    line.appendChild(el("span", "text", s.text));
    var atEnd = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 8;
    lines.appendChild(line);
    if (atEnd) { lines.scrollTop = lines.scrollHeight; }
  }

  function addAlert(a) {
    var card = cardOf(a.call_id);
    if (!card) { return; }
    var alerts = card.querySelector(".live-alerts");
    if (has(alerts, "data-alert", a.id)) { return; }
    var item = el("li", "sev-" + String(a.severity).replace(/[^a-z_-]/gi, ""));
    item.dataset.alert = String(a.id);
    item.appendChild(el("span", "when", a.clock));
    item.appendChild(el("strong", "rule", a.title));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", "badge", a.severity));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", "evidence", a.evidence));
    alerts.appendChild(item);
  }

  function handle(kind, fn) {
    source.addEventListener(kind, function (e) {
      fn(JSON.parse(e.data));
      status.textContent = "Live: updated " + new Date().toLocaleTimeString();
    });
  }

  var source = new EventSource(status.dataset.stream);
  handle("call", showCall);
  handle("segment", addSegment);
  handle("alert", addAlert);
  handle("gone", function (g) {
    var card = cardOf(g.id);
    if (card) { card.parentNode.removeChild(card); }
  });
  source.addEventListener("end", function (e) {
    source.close();
    status.textContent = "Stopped: " + e.data + " (refresh the page)";
  });
  source.onopen = function () { status.textContent = "Live: connected"; };
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) {
      status.textContent = "Disconnected: refresh the page";
    } else {
      status.textContent = "Reconnecting…";
    }
  };
  status.dataset.live = "1";
}());
