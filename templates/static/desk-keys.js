// Keyboard shortcuts for the desk's queue and tip pages (issue 18). Served
// as /static/desk-keys.js under `script-src 'self'`; the pages work fully
// without it. A key does nothing while the focus is in a field (typing an
// "s" in a note must stay an "s"), nor with Ctrl, Alt or Meta held (the
// browser's own shortcuts). The list the "?" key shows is in the page
// (#shortcuts), in the person's own language.
//
//   j / k      next / previous tip in the queue
//   o, Enter   open the current tip
//   x          tick or untick the current tip for the bulk form
//   s          the status control (bulk form, or the tip's own)
//   a          the assignee control
//   n          the tip's note
//   ?          show or hide this list
(function () {
  "use strict";

  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tr[data-tip]"));
  }

  var current = -1;

  function select(i) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, n) {
      r.classList.toggle("current", n === current);
    });
    var link = all[current].querySelector("td.ref a");
    if (link) link.focus();
  }

  function currentRow() {
    var all = rows();
    if (current < 0) {
      // The row the focus is in, if any (a tip reached with Tab).
      current = all.findIndex(function (r) {
        return r.contains(document.activeElement);
      });
    }
    return current >= 0 ? all[current] : null;
  }

  function focus(selector) {
    var el = document.querySelector(selector);
    if (!el) return false;
    el.focus();
    if (el.scrollIntoView) el.scrollIntoView({ block: "center" });
    return true;
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help) return;
    if (help.open) {
      help.close();
    } else {
      help.showModal();
    }
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey) return;
    if (typing(e.target)) return;
    var row;
    switch (e.key) {
      case "j":
        select(current + 1);
        break;
      case "k":
        select(current < 0 ? 0 : current - 1);
        break;
      case "o":
      case "Enter":
        row = currentRow();
        if (!row) return; // Enter on a focused link or button does its own thing
        if (e.key === "Enter" && document.activeElement && document.activeElement !== document.body &&
            !row.contains(document.activeElement)) return;
        var link = row.querySelector("td.ref a");
        if (!link) return;
        window.location.href = link.href;
        break;
      case "x":
        row = currentRow();
        var box = row && row.querySelector("td.select input[type=checkbox]");
        if (!box) return;
        box.checked = !box.checked;
        break;
      case "s":
        if (!focus("form.bulk select[name=status], form[action$='/status'] select[name=status]")) return;
        break;
      case "a":
        if (!focus("form.bulk select[name=assignee], form[action$='/assign'] select[name=assignee]")) return;
        break;
      case "n":
        if (!focus("textarea#note")) return;
        break;
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  });
})();
