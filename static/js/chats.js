/* The chat workspace: queue, the agent's chats and the conversation, over the agent socket
   (tickets.chat.consumers.AgentConsumer). The server sends the whole state on every (re)connect, so a
   dropped connection only needs a reconnect; an answer written meanwhile waits in an outbox and is sent
   again with the same id, which the server keeps once. Text is always shown as text. */
(function () {
  "use strict";
  var root = document.getElementById("chat-workspace");
  if (!root) return;
  function part(name) { return root.querySelector('[data-chat="' + name + '"]'); }
  var base = root.dataset.socket || (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/agent/";
  var socket = null, connected = false, retry = 0, heartbeat = null;
  var queue = [], chats = {}, selected = null, outbox = [], typingSent = 0, typingTimer = null, limit = 0;
  // The customer panels as the server rendered them (its own, autoescaped HTML), by chat.
  var sides = {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function urlFor(template, ids) {
    var index = 0;
    return template.replace(/\/0\//g, function () { return "/" + ids[index++] + "/"; });
  }
  function waited(seconds) {
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }
  function randomId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "a-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function transmit(frame) {
    if (connected) socket.send(JSON.stringify(frame));
    return connected;
  }

  // --- Drawing --------------------------------------------------------------------------------------
  function drawQueue() {
    var list = part("queue");
    list.textContent = "";
    part("queue-count").textContent = String(queue.length);
    document.title = (queue.length ? "(" + queue.length + ") " : "") + "Chats · CareCRM";
    if (!queue.length) { list.appendChild(el("li", { class: "muted" }, "Nobody is waiting.")); return; }
    queue.forEach(function (item) {
      var row = el("li", { "data-queue": String(item.id) });
      row.appendChild(el("strong", {}, item.customer.name));
      row.appendChild(el("span", { class: "muted small", "data-since": item.started_at }));
      if (item.invited) row.appendChild(el("span", { class: "muted small" }, " · invited"));
      row.appendChild(el("br"));
      row.appendChild(el("span", { class: "small" }, item.subject.replace(/^Chat: /, "")));
      var accept = el("button", { type: "button", "data-accept": String(item.id) }, "Accept");
      row.appendChild(accept);
      list.appendChild(row);
    });
    tick();
  }

  // Waiting times count up in place, so the Accept buttons are never redrawn under the pointer.
  function tick() {
    var now = Date.now();
    part("queue").querySelectorAll("[data-since]").forEach(function (node) {
      node.textContent = " waiting " + waited(Math.max(0, Math.round((now - Date.parse(node.dataset.since)) / 1000)));
    });
  }

  function drawMine() {
    var list = part("mine");
    list.textContent = "";
    var ids = Object.keys(chats);
    part("held").textContent = String(ids.filter(function (id) { return chats[id].status === "active"; }).length);
    part("limit").textContent = limit ? " of " + limit : "";
    if (!ids.length) { list.appendChild(el("li", { class: "muted" }, "No chats yet.")); return; }
    ids.forEach(function (id) {
      var chat = chats[id];
      var row = el("li", { "data-mine": id, class: String(selected) === id ? "selected" : "" });
      var open = el("button", { type: "button", class: "link", "data-open": id }, chat.customer.name);
      row.appendChild(open);
      if (chat.unread) row.appendChild(el("span", { class: "count" }, String(chat.unread)));
      if (chat.status !== "active") row.appendChild(el("span", { class: "muted small" }, " " + chat.status));
      list.appendChild(row);
    });
  }

  function drawMessage(chat, message) {
    if (String(selected) !== String(chat.id)) return;
    var log = part("log");
    var key = message.client_id || "id-" + message.id;
    var row = log.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (!row) {
      row = el("li", { class: "from-" + message.from, "data-key": key });
      var who = message.from === "customer" ? chat.customer.name : message.from === "note" ? "Note" : message.author || "You";
      row.appendChild(el("span", { class: "who" }, who));
      row.appendChild(el("span", { class: "text" }, message.text));
      log.appendChild(row);
    }
    row.classList.toggle("pending", !message.id);
    if (message.id) row.setAttribute("data-id", String(message.id));
    log.scrollTop = log.scrollHeight;
  }

  function drawSeen(chat) {
    var mine = chat.messages.filter(function (m) { return m.from === "agent" && m.id; });
    part("seen").hidden = !(mine.length && chat.customer_read_id >= mine[mine.length - 1].id);
  }

  function select(id) {
    selected = id;
    var chat = chats[id];
    part("empty").hidden = !!chat;
    part("conversation").hidden = !chat;
    drawMine();
    if (!chat) { part("customer").textContent = ""; return; }
    chat.unread = 0;
    part("title").textContent = chat.customer.name + " · " + chat.reference;
    part("verified").textContent = chat.customer.identified ? "signed in at the shop" : "email not verified: " + chat.customer.email;
    part("page").textContent = chat.page_url || "";
    part("ticket-link").href = urlFor(root.dataset.ticketUrl, [chat.ticket]);
    part("log").textContent = "";
    part("typing").hidden = true;
    part("error").hidden = true;
    chat.messages.forEach(function (m) { drawMessage(chat, m); });
    outbox.filter(function (m) { return m.chat === chat.id; }).forEach(function (m) {
      drawMessage(chat, { client_id: m.client_id, from: "agent", text: m.text, author: "You" });
    });
    drawSeen(chat);
    drawState(chat);
    markRead(chat);
    // Fetched once per chat: each fetch is an entry in the access log.
    if (sides[chat.id]) {
      part("customer").innerHTML = sides[chat.id];
    } else {
      fetch(urlFor(root.dataset.customerUrl, [chat.ticket]), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (html) sides[chat.id] = html;
          if (selected === id) part("customer").innerHTML = html;
        });
    }
    transmit({ type: "targets" });
    part("text").focus();
  }

  function drawState(chat) {
    var active = chat.status === "active";
    part("composer").hidden = !active;
    part("end").hidden = !active;
    part("transfer").hidden = !active;
    part("close").hidden = active;
  }

  function markRead(chat) {
    if (String(selected) !== String(chat.id) || document.hidden) return;
    var theirs = chat.messages.filter(function (m) { return m.from === "customer"; });
    if (!theirs.length) return;
    var last = theirs[theirs.length - 1].id;
    if (last > (chat.readUpto || 0)) { chat.readUpto = last; transmit({ type: "read", chat: chat.id, upto: last }); }
  }

  function showError(detail) {
    var node = part("error");
    node.textContent = detail;
    node.hidden = !detail;
    // With no conversation open (accepting from the queue), the answer shows under the presence.
    if (!selected) part("connection").textContent = detail;
  }

  // --- Frames from the server ------------------------------------------------------------------------
  function addMessage(chat, message) {
    var known = chat.messages.some(function (m) { return m.id === message.id; });
    if (!known) chat.messages.push(message);
    outbox = outbox.filter(function (m) { return m.client_id !== message.client_id; });
    if (String(selected) !== String(chat.id) && message.from === "customer" && !known) chat.unread = (chat.unread || 0) + 1;
    drawMessage(chat, message);
    drawMine();
    if (message.from === "customer") { part("typing").hidden = true; markRead(chat); }
  }

  function receive(frame) {
    var chat = frame.chat && chats[frame.chat];
    switch (frame.type) {
      case "state":
        limit = frame.limit;
        part("presence").value = frame.presence;
        queue = frame.queue;
        // What the server holds for this agent now: a chat ended or handed over while the socket was down
        // stays on screen as ended, and its unsent answers are dropped.
        var fresh = {};
        frame.chats.forEach(function (c) { fresh[c.id] = c; if (chats[c.id]) c.readUpto = chats[c.id].readUpto; });
        Object.keys(chats).forEach(function (id) {
          if (!fresh[id]) { fresh[id] = chats[id]; fresh[id].status = "ended"; }
        });
        chats = fresh;
        outbox = outbox.filter(function (m) { return chats[m.chat] && chats[m.chat].status === "active"; });
        drawQueue();
        drawMine();
        if (selected && chats[selected]) select(selected);
        outbox.forEach(function (m) { transmit({ type: "message", chat: m.chat, text: m.text, client_id: m.client_id }); });
        break;
      case "queue":
        queue = frame.queue;
        drawQueue();
        break;
      case "chat":
        var previous = chats[frame.chat.id];
        chats[frame.chat.id] = frame.chat;
        if (previous) frame.chat.readUpto = previous.readUpto;
        if (!selected || String(selected) === String(frame.chat.id) || !chats[selected]) select(String(frame.chat.id));
        else drawMine();
        break;
      case "removed":
        delete chats[frame.chat];
        if (String(selected) === String(frame.chat)) select(null);
        drawMine();
        break;
      case "message":
        if (chat) addMessage(chat, frame.message);
        break;
      case "typing":
        if (chat && String(selected) === String(frame.chat)) part("typing").hidden = !frame.on;
        break;
      case "read":
        if (chat) { chat.customer_read_id = Math.max(chat.customer_read_id, frame.upto); if (String(selected) === String(frame.chat)) drawSeen(chat); }
        break;
      case "status":
        if (chat) {
          chat.status = frame.status;
          if (String(selected) === String(frame.chat)) drawState(chat);
          drawMine();
        }
        break;
      case "targets":
        var menu = part("transfer");
        menu.textContent = "";
        menu.appendChild(el("option", { value: "" }, frame.agents.length ? "Transfer to…" : "Nobody to transfer to"));
        frame.agents.forEach(function (agent) {
          menu.appendChild(el("option", { value: String(agent.id) }, agent.name + " (" + agent.held + " of " + agent.limit + ")"));
        });
        break;
      case "presence":
        part("presence").value = frame.presence;
        break;
      case "error":
        showError(frame.detail);
        break;
    }
  }

  function connect() {
    socket = new WebSocket(base);
    socket.onopen = function () {
      connected = true;
      retry = 0;
      part("connection").textContent = "Connected";
      clearInterval(heartbeat);
      heartbeat = setInterval(function () { transmit({ type: "ping" }); }, 25000);
    };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function () {
      connected = false;
      clearInterval(heartbeat);
      part("connection").textContent = "Reconnecting…";
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(500 * Math.pow(2, retry - 1), 8000));
    };
  }

  // --- What the agent does ---------------------------------------------------------------------------
  root.addEventListener("click", function (event) {
    var target = event.target;
    if (target.dataset.accept) transmit({ type: "accept", chat: Number(target.dataset.accept) });
    if (target.dataset.open) select(target.dataset.open);
    if (target.dataset.kbUrl) {
      var box = part("text");
      box.value = (box.value ? box.value.replace(/\s*$/, " ") : "") + target.dataset.kbTitle + ": " + target.dataset.kbUrl;
      part("kb-results").textContent = "";
      box.focus();
    }
  });
  part("presence").addEventListener("change", function (event) { transmit({ type: "presence", status: event.target.value }); });
  part("end").addEventListener("click", function () { if (selected) transmit({ type: "end", chat: Number(selected) }); });
  part("close").addEventListener("click", function () { delete chats[selected]; select(null); });
  part("transfer").addEventListener("change", function (event) {
    if (event.target.value && selected) transmit({ type: "transfer", chat: Number(selected), to: Number(event.target.value) });
  });
  part("macro").addEventListener("change", function (event) {
    var chat = chats[selected];
    if (!event.target.value || !chat) return;
    fetch(urlFor(root.dataset.macroUrl, [chat.ticket, event.target.value]), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (text) { part("text").value = text; part("text").focus(); event.target.value = ""; });
  });
  var kbTimer = null;
  part("kb").addEventListener("input", function (event) {
    clearTimeout(kbTimer);
    kbTimer = setTimeout(function () {
      fetch(root.dataset.kbUrl + "?q=" + encodeURIComponent(event.target.value), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (found) {
          var list = part("kb-results");
          list.textContent = "";
          found.articles.forEach(function (article) {
            var item = el("li");
            item.appendChild(el("button", { type: "button", class: "link", "data-kb-url": article.url, "data-kb-title": article.title }, article.title));
            list.appendChild(item);
          });
        });
    }, 250);
  });
  var text = part("text");
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); part("composer").requestSubmit(); }
  });
  text.addEventListener("input", function () {
    if (!selected) return;
    var now = Date.now();
    if (now - typingSent > 2000) { typingSent = now; transmit({ type: "typing", chat: Number(selected), on: true }); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingSent = 0; transmit({ type: "typing", chat: Number(selected), on: false }); }, 3000);
  });
  part("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var chat = chats[selected];
    var value = text.value.trim();
    if (!chat || !value) return;
    var message = { chat: chat.id, client_id: randomId(), text: value };
    outbox.push(message);
    drawMessage(chat, { client_id: message.client_id, from: "agent", text: value, author: "You" });
    transmit({ type: "message", chat: chat.id, text: value, client_id: message.client_id });
    clearTimeout(typingTimer);
    typingSent = 0;
    transmit({ type: "typing", chat: chat.id, on: false });
    text.value = "";
  });
  document.addEventListener("visibilitychange", function () { if (selected && chats[selected]) markRead(chats[selected]); });
  setInterval(tick, 1000);
  connect();
})();
