// KillReport live list: new kills from the GraphQL subscription (graphql-transport-ws on
// /graphql) are fetched as server-rendered rows and put on top of the list. After a dropped
// connection it subscribes again from the last sequence shown, so nothing is missed or doubled.
"use strict";
(function () {
  var list = document.querySelector("[data-live]");
  if (!list) { return; }
  var body = list.querySelector("tbody");
  var state = document.querySelector("[data-live-state]");
  var pauseButton = document.querySelector("[data-live-pause]");
  var filter = JSON.parse(list.getAttribute("data-live-filter") || "{}");
  var rowUrl = list.getAttribute("data-live-row-url");
  var maxRows = parseInt(list.getAttribute("data-live-max-rows") || "50", 10);
  var lastSequence = parseInt(list.getAttribute("data-live-after") || "0", 10);
  var paused = false;
  var held = [];
  var pending = Promise.resolve();
  var socket = null;
  var retryMs = 500;
  show("Connecting…", "offline");
  var QUERY = "subscription Live($filter: KillmailFilter, $after: Int) " +
    "{ newKillmail(filter: $filter, afterSequence: $after) { killmailId sequence } }";

  function show(text, name) {
    if (state) { state.textContent = text; state.setAttribute("data-state", name); }
  }

  function known(id) {
    return body.querySelector("tr[data-killmail-id=\"" + id + "\"]") !== null;
  }

  function insert(kill) {
    // Rows are fetched in arrival order and put in place one at a time.
    pending = pending.then(function () {
      if (known(kill.killmailId)) { return null; }
      return fetch(rowUrl.replace("{id}", kill.killmailId), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (!html || known(kill.killmailId)) { return; }
          var template = document.createElement("template");
          template.innerHTML = html.trim();
          var row = template.content.firstElementChild;
          if (!row) { return; }
          row.classList.add("fresh");
          body.insertBefore(row, body.firstElementChild);
          var empty = list.querySelector("[data-empty]");
          if (empty) { empty.remove(); }
          while (body.rows.length > maxRows) { body.deleteRow(body.rows.length - 1); }
        });
    }).catch(function () { /* the next kill or reconnect tries again */ });
  }

  function received(kill) {
    var sequence = parseInt(kill.sequence, 10);
    if (sequence > lastSequence) { lastSequence = sequence; }
    if (paused) {
      held.push(kill);
      show("Paused (" + held.length + " new)", "paused");
    } else {
      insert(kill);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/graphql", "graphql-transport-ws");
    socket.addEventListener("open", function () {
      socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        retryMs = 500;
        if (!paused) { show("Live", "live"); }
        socket.send(JSON.stringify({
          id: "live", type: "subscribe",
          payload: { query: QUERY, variables: { filter: filter, after: lastSequence } }
        }));
      } else if (message.type === "next" && message.payload && message.payload.data) {
        received(message.payload.data.newKillmail);
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    });
    socket.addEventListener("close", function () {
      show("Reconnecting…", "offline");
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    });
  }

  if (pauseButton) {
    pauseButton.hidden = false;
    pauseButton.addEventListener("click", function () {
      paused = !paused;
      pauseButton.textContent = paused ? "Resume" : "Pause";
      pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
      if (paused) {
        show("Paused", "paused");
      } else {
        show("Live", "live");
        held.splice(0).forEach(insert);
      }
    });
  }
  connect();
})();
