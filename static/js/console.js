// Keyboard for the inbox and the ticket page: j/k move through the list, Enter or o opens, r replies,
// n writes a note, g i goes to the inbox, ? lists the keys. Keys are ignored while typing in a field.
(function () {
  "use strict";
  var pendingG = false;

  function typing(event) {
    var target = event.target;
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-ticket-row]"));
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var current = list.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = Math.max(0, Math.min(list.length - 1, current + step));
    list.forEach(function (row) { row.classList.remove("selected"); });
    list[next].classList.add("selected");
    list[next].scrollIntoView({ block: "nearest" });
  }

  function focus(id) {
    var field = document.getElementById(id);
    if (field) { field.focus(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.metaKey || event.ctrlKey || event.altKey) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "i") { window.location = "/console/inbox/"; event.preventDefault(); }
      return;
    }
    if (key === "g") { pendingG = true; return; }
    if (key === "j") { move(1); event.preventDefault(); }
    else if (key === "k") { move(-1); event.preventDefault(); }
    else if (key === "Enter" || key === "o") {
      var selected = document.querySelector("[data-ticket-row].selected a");
      if (selected) { selected.click(); event.preventDefault(); }
    }
    else if (key === "r") { if (focus("reply-text")) event.preventDefault(); }
    else if (key === "n") { if (focus("note-text")) event.preventDefault(); }
    else if (key === "?") {
      var help = document.getElementById("keys");
      if (help) { help.hidden = !help.hidden; event.preventDefault(); }
    }
  });
})();

// A filter that applies as soon as it changes: <select data-submit-on-change> sends its form. Listened for
// here rather than in an onchange attribute, which the Content-Security-Policy refuses.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.form && field.hasAttribute("data-submit-on-change")) field.form.requestSubmit();
});
