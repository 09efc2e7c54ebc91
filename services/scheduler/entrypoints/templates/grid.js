// The planning grid's moves: drag a meeting onto a cell of its expert's row, or (keyboard,
// touch) press « Déplacer… » then a cell. The server says what each cell would do
// (/api/grid/appointments/{id}/targets) and does it (…/drop); the grid is then read again
// from this page, without a full reload. Without JavaScript the forms below the grid do the
// same. Included as is in grid.html, like the shared style sheet: never two opening braces
// in a row, nor a closing script tag.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var API = "/api/grid";
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var box = document.getElementById("grille-message");
  var text = document.getElementById("grille-texte");
  var LABELS = {
    ici: "Laisser ici",
    deplacer: "Déplacer ici",
    echanger: "Échanger",
  };
  var WHY = {
    conference: "conférence",
    indisponible: "indisponible",
    occupe: "occupé",
    complet: "tables pleines",
    verrouille: "verrouillé",
    passe: "commencé",
    absent: "absent·e",
  };
  // The meeting being moved: its id, its row, the verdict of each slot once known.
  var current = null;
  var hovered = null; // the cell under a dragged meeting

  function allowed(t) {
    return t && (t.state === "deplacer" || t.state === "echanger");
  }

  function explain(status, data) {
    if (data && typeof data.detail === "string") {
      return data.detail;
    }
    if (status === 401) {
      return "Votre session a expiré : rechargez la page pour vous reconnecter.";
    }
    return "La demande n'a pas abouti (erreur " + status + ") : rechargez la page et réessayez.";
  }

  function call(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = token;
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options).then(
      function (response) {
        return response.json().then(
          function (data) { return [response, data]; },
          function () { return [response, null]; }
        ).then(function (pair) {
          if (!pair[0].ok) {
            throw new Error(explain(pair[0].status, pair[1]));
          }
          return pair[1];
        });
      },
      function () {
        throw new Error("Le serveur ne répond pas : vérifiez la connexion et réessayez.");
      }
    );
  }

  // One message line above the grid; the page's own messages (after a form) give way to it.
  function show(kind, message, offerUndo) {
    document.querySelectorAll("main > p.flash").forEach(function (p) { p.remove(); });
    box.hidden = false;
    box.className = kind === "info" ? "notice" : "flash flash-" + kind;
    text.setAttribute("role", kind === "error" ? "alert" : "status");
    text.textContent = message;
    var old = box.querySelector("button");
    if (old) {
      old.remove();
    }
    if (offerUndo) {
      var undoButton = document.createElement("button");
      undoButton.type = "button";
      undoButton.className = "secondary small";
      undoButton.textContent = "Annuler";
      undoButton.addEventListener("click", function () { undo(undoButton); });
      box.appendChild(undoButton);
      return undoButton;
    }
    return null;
  }

  function cellAt(row, slot) {
    return row.querySelector('td[data-slot="' + slot + '"]');
  }

  function paint(row, t) {
    var cell = cellAt(row, t.slot);
    if (!cell) {
      return;
    }
    cell.classList.add("cible-" + t.state);
    cell.title = t.reason;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "verdict " + t.state;
    button.textContent = LABELS[t.state] || WHY[t.why] || "refusé";
    button.setAttribute("aria-label", (LABELS[t.state] ? LABELS[t.state] + " : " : "Refusé : ") + t.reason);
    cell.appendChild(button);
  }

  function finish(giveFocusBack) {
    var grid = document.getElementById("grille");
    if (grid) {
      grid.classList.remove("choix");
      grid.querySelectorAll("tr.source").forEach(function (row) {
        row.classList.remove("source");
        row.querySelectorAll("td[data-slot]").forEach(function (cell) {
          cell.classList.remove("cible-ici", "cible-deplacer", "cible-echanger", "cible-refuse", "survol");
          cell.removeAttribute("title");
        });
        row.querySelectorAll("button.verdict").forEach(function (b) { b.remove(); });
      });
    }
    var was = current;
    current = null;
    hovered = null;
    if (giveFocusBack && was && was.opener && document.contains(was.opener)) {
      was.opener.focus();
    }
  }

  function begin(meeting, opener) {
    finish(false);
    var row = meeting.closest("tr");
    var mine = { id: meeting.getAttribute("data-appointment"), row: row, targets: null, opener: opener };
    current = mine;
    document.getElementById("grille").classList.add("choix");
    row.classList.add("source");
    return call("GET", API + "/appointments/" + encodeURIComponent(mine.id) + "/targets").then(
      function (data) {
        if (current !== mine) {
          return;
        }
        mine.targets = {};
        data.targets.forEach(function (t) {
          mine.targets[t.slot] = t;
          paint(row, t);
        });
        if (opener) {
          show("info", "Choisissez la case où placer ce rendez-vous (Échap pour abandonner).");
          var first = row.querySelector("button.verdict.deplacer, button.verdict.echanger") ||
            row.querySelector("button.verdict.ici");
          if (first) {
            first.focus();
          }
        }
      },
      function (error) {
        if (current === mine) {
          finish(true);
          show("error", error.message);
        }
      }
    );
  }

  // Read the grid again from the page itself (same address, same session).
  function refresh() {
    var frame = document.getElementById("grille-cadre");
    var left = frame ? frame.scrollLeft : 0;
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("La grille n'a pas pu être relue : rechargez la page.");
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (!fresh.getElementById("grille-cadre")) {
          window.location.reload(); // signed out meanwhile: the login page
          return;
        }
        ["grille-zone", "grille-cadre", "formulaires", "sans-rendez-vous"].forEach(function (id) {
          var old = document.getElementById(id);
          var now = fresh.getElementById(id);
          if (old && now) {
            old.replaceWith(document.adoptNode(now));
          }
        });
        document.getElementById("grille-cadre").scrollLeft = left;
      });
  }

  function choose(slot) {
    var t = current && current.targets ? current.targets[slot] : null;
    if (!t) {
      return;
    }
    if (t.state === "ici") {
      finish(true);
      box.hidden = true;
      return;
    }
    if (!allowed(t)) {
      show("error", t.reason); // the meeting stays picked: choose another cell
      return;
    }
    var byKeyboard = Boolean(current.opener);
    var id = current.id;
    finish(false);
    show("info", "Enregistrement…");
    call("POST", API + "/appointments/" + encodeURIComponent(id) + "/drop", { slot: slot }).then(
      function (data) {
        return refresh().then(
          function () {
            var undoButton = show("ok", data.message, true);
            if (byKeyboard && undoButton) {
              undoButton.focus();
            }
          },
          function (error) { show("error", data.message + " " + error.message); }
        );
      },
      function (error) {
        show("error", error.message);
        refresh().catch(function () { return null; });
      }
    );
  }

  function undo(button) {
    button.disabled = true;
    call("POST", API + "/undo").then(
      function (data) {
        return refresh().then(function () { show("ok", data.message, false); });
      },
      function (error) { show("error", error.message); }
    );
  }

  function sourceCell(node) {
    return node && node.closest ? node.closest("#grille tr.source td[data-slot]") : null;
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("#grille .choisir");
    if (pick) {
      event.preventDefault();
      begin(pick.closest(".rdv"), pick);
      return;
    }
    if (!current) {
      return;
    }
    var cell = sourceCell(event.target);
    if (cell && !event.target.closest("form")) {
      choose(Number(cell.getAttribute("data-slot")));
    } else if (!cell && !event.target.closest("#grille-message")) {
      finish(false);
      box.hidden = true;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current) {
      finish(true);
      box.hidden = true;
    }
  });

  document.addEventListener("dragstart", function (event) {
    var meeting = event.target.closest ? event.target.closest("#grille .rdv") : null;
    if (!meeting) {
      return;
    }
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", meeting.getAttribute("data-appointment"));
    box.hidden = true;
    begin(meeting, null);
  });

  // The cell under the dragged meeting: lit, its verdict in the message; a drop only where allowed.
  document.addEventListener("dragover", function (event) {
    var cell = sourceCell(event.target);
    if (!cell || !current || !current.targets) {
      return;
    }
    var t = current.targets[cell.getAttribute("data-slot")];
    if (cell !== hovered) {
      if (hovered) {
        hovered.classList.remove("survol");
      }
      hovered = cell;
      cell.classList.add("survol");
      if (t) {
        show("info", t.reason);
      }
    }
    if (allowed(t)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  });

  document.addEventListener("drop", function (event) {
    var cell = sourceCell(event.target);
    if (cell && current) {
      event.preventDefault();
      choose(Number(cell.getAttribute("data-slot")));
    }
  });

  document.addEventListener("dragend", function () {
    if (!current) {
      return; // dropped: choose() took over
    }
    var t = hovered && current.targets ? current.targets[hovered.getAttribute("data-slot")] : null;
    finish(false);
    if (t && t.state === "refuse") {
      show("error", "Rendez-vous laissé à sa place : " + t.reason);
    } else {
      box.hidden = true;
    }
  });
})();
