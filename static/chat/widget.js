/* CareCRM live chat widget. One tag on the shop's pages:

     <script src="https://care.example.com/static/chat/widget.js" async
             data-token="<JWT the store signs for a signed-in shopper, optional>"
             data-cart-value="129.90" data-cart-updated-at="2026-11-23T10:00:00Z"></script>

   Optional: data-socket (the chat socket's address; default: this script's host, /ws/chat/),
   data-title. Everything lives in a shadow root with its own stylesheet, so the shop's CSS and ours do
   not touch. Messages are shown as text, never as HTML.

   Nothing is lost to a dropped connection: every message the customer writes stays in an outbox (kept
   in localStorage) until the server echoes it back, and is resent with the same id after reconnecting,
   which the server keeps once; on reconnect the widget asks for everything after the last message it
   has. A store-signed token is spent on first use; the server answers it with a session of its own
   (signed, bound to this browser's visitor id, a day long) that the widget shows on reconnecting. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.CareChat) return;
  var data = script.dataset;
  var scriptUrl = new URL(script.src, location.href);
  var socketUrl = data.socket || (scriptUrl.protocol === "https:" ? "wss://" : "ws://") + scriptUrl.host + "/ws/chat/";
  var storeKey = "carecrm-chat:" + new URL(socketUrl).host;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: this tab only */ }
  }
  function randomId(prefix) {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return prefix + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var state = load();
  state.visitor = state.visitor || randomId("v-");
  state.outbox = state.outbox || [];
  state.lastId = state.lastId || 0;
  save();

  // --- The DOM ---------------------------------------------------------------------------------------
  var host = document.createElement("div");
  host.className = "carecrm-chat-host";
  var root = host.attachShadow({ mode: "open" });
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", scriptUrl).href;
  root.appendChild(css);

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var launcher = el("button", { type: "button", class: "launcher", "data-chat": "open", "aria-label": "Chat with us", text: "Chat with us" });
  var panel = el("section", { class: "panel", hidden: "", role: "dialog", "aria-label": data.title || "Chat" });
  var title = el("strong", { text: data.title || "Chat with us" });
  var subtitle = el("span", { class: "subtitle", "data-chat": "status", text: "" });
  var closeButton = el("button", { type: "button", class: "icon", "data-chat": "close", "aria-label": "Minimise", text: "–" });
  var endButton = el("button", { type: "button", class: "link", "data-chat": "end", hidden: "", text: "End chat" });
  var header = el("header", {}, [el("div", {}, [title, subtitle]), endButton, closeButton]);
  var log = el("ol", { class: "log", "data-chat": "log", "aria-live": "polite" });
  var typing = el("p", { class: "typing", "data-chat": "typing", hidden: "", text: "typing…" });
  var seen = el("p", { class: "seen", "data-chat": "seen", hidden: "", text: "Seen" });
  var notice = el("p", { class: "notice", "data-chat": "notice", hidden: "" });

  var email = el("input", { type: "email", name: "email", placeholder: "Your email", autocomplete: "email", "data-chat": "email" });
  var name = el("input", { type: "text", name: "name", placeholder: "Your name (optional)", autocomplete: "name", "data-chat": "name" });
  var identity = el("div", { class: "identity", hidden: "" }, [email, name]);
  var text = el("textarea", { name: "text", rows: "2", placeholder: "Write a message…", "aria-label": "Message", "data-chat": "text" });
  var send = el("button", { type: "submit", "data-chat": "send", text: "Send" });
  var composer = el("form", { class: "composer" }, [identity, el("div", { class: "row" }, [text, send])]);

  var contact = el("a", { class: "button", "data-chat": "contact", target: "_blank", rel: "noopener", text: "Leave us a message" });
  var offline = el("div", { class: "offline", hidden: "", "data-chat": "offline" }, [
    el("p", { text: "Nobody can chat right now. Leave us a message and we will answer by email." }),
    contact,
  ]);

  var stars = el("div", { class: "stars" });
  [1, 2, 3, 4, 5].forEach(function (n) {
    stars.appendChild(el("button", { type: "button", "data-rating": String(n), "aria-label": n + " of 5", text: "★" }));
  });
  var comment = el("input", { type: "text", placeholder: "Anything to add? (optional)", "data-chat": "comment" });
  var rating = el("div", { class: "rating", hidden: "", "data-chat": "rating" }, [el("p", { text: "How did we do?" }), stars, comment]);

  var again = el("button", { type: "button", class: "link", hidden: "", "data-chat": "again", text: "Start a new chat" });

  var inviteText = el("p", { "data-chat": "invitation-text" });
  var inviteYes = el("button", { type: "button", "data-chat": "accept", text: "Chat now" });
  var inviteNo = el("button", { type: "button", class: "link", "data-chat": "decline", text: "No thanks" });
  var invitation = el("div", { class: "invitation", hidden: "", "data-chat": "invitation" }, [inviteText, inviteYes, inviteNo]);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(seen);
  panel.appendChild(notice);
  panel.appendChild(offline);
  panel.appendChild(rating);
  panel.appendChild(again);
  panel.appendChild(composer);
  root.appendChild(invitation);
  root.appendChild(launcher);
  root.appendChild(panel);

  // --- State shown -----------------------------------------------------------------------------------
  var socket = null, connected = false, retry = 0, welcome = {}, chatStatus = state.chat ? "waiting" : "", agentReadId = 0;
  var shown = {}, invitationId = null, typingSent = 0, typingTimer = null, heartbeat = null;

  function linkify(node, value) {
    value.split(/(https?:\/\/[^\s<>"]+)/).forEach(function (part, index) {
      if (index % 2) node.appendChild(el("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
      else if (part) node.appendChild(document.createTextNode(part));
    });
  }

  function addMessage(message) {
    var key = message.client_id || "id-" + message.id;
    var row = shown[key];
    if (!row) {
      var body = el("span", { class: "text" });
      linkify(body, message.text);
      row = el("li", { class: "from-" + message.from }, [
        el("span", { class: "who", text: message.from === "customer" ? "You" : message.author || "Support" }),
        body,
      ]);
      shown[key] = row;
      log.appendChild(row);
    }
    if (message.id) {
      row.setAttribute("data-id", String(message.id));
      row.classList.remove("pending");
      place(row, message.id);
      state.lastId = Math.max(state.lastId, message.id);
      state.outbox = state.outbox.filter(function (m) { return m.client_id !== message.client_id; });
      save();
    } else {
      row.classList.add("pending");
    }
    if (message.from === "agent") typing.hidden = true;
    log.scrollTop = log.scrollHeight;
    markRead();
    showSeen();
  }

  // The transcript is in the server's order: a message written offline goes after what arrived meanwhile.
  function place(row, id) {
    var after = Array.prototype.find.call(log.children, function (other) {
      return other !== row && (!other.hasAttribute("data-id") || Number(other.getAttribute("data-id")) > id);
    });
    if (after) log.insertBefore(row, after);
    else log.appendChild(row);
  }

  function showSeen() {
    var mine = log.querySelectorAll("li.from-customer[data-id]");
    var last = mine.length ? Number(mine[mine.length - 1].getAttribute("data-id")) : 0;
    seen.hidden = !(last && agentReadId >= last);
  }

  function setStatus(status, agent) {
    chatStatus = status;
    var words = {
      waiting: "Waiting for the next available person…",
      active: agent ? "You are chatting with " + agent : "Connected",
      ended: "This chat has ended.",
      missed: "Nobody could answer in time: we will reply by email.",
    };
    subtitle.textContent = words[status] || (welcome.available ? "We are online" : "");
    endButton.hidden = !(status === "waiting" || status === "active");
    composer.hidden = status === "ended" || status === "missed" || (!state.chat && !welcome.available);
    rating.hidden = status !== "ended" || (!!state.chat && state.rated === state.chat.id);
    again.hidden = status !== "ended" && status !== "missed";
    offline.hidden = !!state.chat || welcome.available !== false;
    identity.hidden = !!state.chat || !!welcome.identified;
  }

  function showNotice(message) {
    notice.textContent = message || "";
    notice.hidden = !message;
  }

  // --- The socket ------------------------------------------------------------------------------------
  function transmit(frame) {
    if (connected) socket.send(JSON.stringify(frame));
  }

  function pageFrame() {
    var frame = { url: location.href };
    if (data.cartValue) frame.cart = { value: data.cartValue, updated_at: data.cartUpdatedAt || "" };
    return frame;
  }

  function connect() {
    socket = new WebSocket(socketUrl);
    socket.onopen = function () {
      connected = true;
      retry = 0;
      var hello = { type: "hello", visitor: state.visitor, page: pageFrame() };
      if (data.token && data.token !== state.usedToken) hello.token = data.token;
      // Only on a page that still names a signed-in shopper: signed out at the shop, the chat is anonymous.
      else if (data.token && state.session) hello.session = state.session;
      // The whole transcript again (rows are kept once by id): a message that reached another process
      // just before the drop may carry a smaller id than the last one this tab saw.
      if (state.chat) { hello.chat = state.chat; hello.after = 0; }
      transmit(hello);
      clearInterval(heartbeat);
      heartbeat = setInterval(function () {
        transmit({ type: "ping" });
        if (!state.chat) transmit(Object.assign({ type: "page" }, pageFrame()));
      }, 25000);
    };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function () {
      connected = false;
      clearInterval(heartbeat);
      if (state.chat && (chatStatus === "waiting" || chatStatus === "active")) showNotice("Reconnecting…");
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(500 * Math.pow(2, retry - 1), 8000));
    };
  }

  function flushOutbox() {
    state.outbox.forEach(function (message) {
      transmit(message.first ? message.first : { type: "message", text: message.text, client_id: message.client_id });
    });
  }

  function receive(frame) {
    switch (frame.type) {
      case "welcome":
        welcome = frame;
        // A token opens one session only; a reload brings a fresh one from the shop.
        if (data.token) state.usedToken = data.token;
        if (frame.session) state.session = frame.session;
        else if (!frame.identified) state.session = null;
        save();
        if (frame.identity_error) showNotice(frame.identity_error);
        if (frame.chat_gone) { state.chat = null; state.outbox = []; state.lastId = 0; save(); }
        contact.href = frame.contact_url;
        if (!state.chat) { showNotice(frame.identity_error || ""); setStatus(""); flushOutbox(); }
        break;
      case "chat":
        showNotice("");
        agentReadId = frame.chat.agent_read_id;
        frame.chat.messages.forEach(addMessage);
        setStatus(frame.chat.status, frame.chat.agent);
        flushOutbox();
        break;
      case "started":
        state.chat = frame.chat;
        state.outbox = state.outbox.filter(function (m) { return !m.first; });
        save();
        setStatus("waiting");
        break;
      case "message":
        addMessage(frame.message);
        break;
      case "typing":
        typing.hidden = !frame.on;
        break;
      case "read":
        agentReadId = Math.max(agentReadId, frame.upto);
        showSeen();
        break;
      case "status":
        setStatus(frame.status, frame.agent);
        break;
      case "pong":
        if (frame.status && frame.status !== chatStatus) setStatus(frame.status, frame.agent);
        if ("available" in frame && !state.chat) { welcome.available = frame.available; setStatus(""); }
        break;
      case "invitation":
        invitationId = frame.id;
        inviteText.textContent = frame.text;
        invitation.hidden = !panel.hidden;
        break;
      case "rated":
        state.rated = state.chat && state.chat.id;
        save();
        rating.hidden = true;
        showNotice("Thank you for your rating.");
        break;
      case "error":
        showNotice(frame.detail);
        break;
    }
  }

  function markRead() {
    if (panel.hidden || !state.chat) return;
    var theirs = log.querySelectorAll("li.from-agent[data-id]");
    if (!theirs.length) return;
    var last = Number(theirs[theirs.length - 1].getAttribute("data-id"));
    if (last > (state.readUpto || 0)) {
      state.readUpto = last;
      save();
      transmit({ type: "read", upto: last });
    }
  }

  // --- What the customer does ------------------------------------------------------------------------
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    invitation.hidden = true;
    setStatus(chatStatus);
    markRead();
    text.focus();
  }

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", function () { panel.hidden = true; launcher.hidden = false; });
  endButton.addEventListener("click", function () { transmit({ type: "end" }); });
  inviteYes.addEventListener("click", function () {
    transmit({ type: "invitation", id: invitationId, answer: "accepted" });
    open();
  });
  inviteNo.addEventListener("click", function () {
    transmit({ type: "invitation", id: invitationId, answer: "declined" });
    invitationId = null;
    invitation.hidden = true;
  });
  again.addEventListener("click", function () {
    state.chat = null; state.outbox = []; state.lastId = 0; state.readUpto = 0;
    save();
    log.textContent = "";
    shown = {};
    showNotice("");
    transmit({ type: "ping" });
    setStatus("");
  });
  stars.addEventListener("click", function (event) {
    var chosen = event.target.getAttribute("data-rating");
    if (chosen) transmit({ type: "rate", rating: Number(chosen), comment: comment.value });
  });

  text.addEventListener("input", function () {
    if (!state.chat) return;
    var now = Date.now();
    if (now - typingSent > 2000) { typingSent = now; transmit({ type: "typing", on: true }); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingSent = 0; transmit({ type: "typing", on: false }); }, 3000);
  });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
  });

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = text.value.trim();
    if (!value) return;
    if (!state.chat && !welcome.identified && !email.checkValidity()) { email.reportValidity(); return; }
    if (!state.chat && !email.value && !welcome.identified) { showNotice("Tell us your email address first."); return; }
    var message = { client_id: randomId("m-"), text: value };
    if (!state.chat) {
      if (state.outbox.some(function (m) { return m.first; })) return;
      // The chat's key is made here and sent along: a start resent after a dropped connection is then
      // the same chat, not a second one.
      message.first = {
        type: "start", text: value, client_id: message.client_id, email: email.value, name: name.value,
        page_url: location.href, invitation: invitationId, key: randomId("k-") + randomId(""),
      };
    }
    state.outbox.push(message);
    save();
    addMessage({ client_id: message.client_id, from: "customer", text: value });
    transmit(message.first || { type: "message", text: value, client_id: message.client_id });
    clearTimeout(typingTimer);
    transmit({ type: "typing", on: false });
    text.value = "";
  });

  function mount() {
    document.body.appendChild(host);
    // What this tab wrote but never saw acknowledged is shown again, then resent once connected.
    state.outbox.forEach(function (m) { addMessage({ client_id: m.client_id, from: "customer", text: m.text }); });
    connect();
  }
  window.CareChat = { open: open, socket: function () { return socket; } };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
