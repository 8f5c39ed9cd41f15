/* The keyboard screen for paper survey forms (surveys/views/entry.py), keyboard only:
   - the serial field: type the number or scan the form's QR code (a scanner types its /s/<token>/ address
     and Enter); Enter moves to the first item;
   - each item: 1-4 (很满意 … 不满意) or 0 (未表态) sets it and moves to the next, Backspace goes back;
   - name, date, comments are optional; Enter anywhere saves (the same endpoint as the plain form, asked
     for JSON), and the screen is cleared for the next form with the cursor in the serial field;
   - an error (unknown serial, already entered) is shown in place; what was typed stays.
   Without this script the page is a plain form with a select per item. */
(function () {
  "use strict";

  var form = document.querySelector("[data-entry-form]");
  if (!form || typeof window.fetch !== "function") {
    return;
  }
  var serial = form.querySelector("[data-entry-serial]");
  var items = Array.prototype.slice.call(form.querySelectorAll("[data-entry-item]"));
  var extras = Array.prototype.slice.call(form.querySelectorAll("[data-entry-extra]"));
  var errorBox = form.querySelector("[data-entry-error]");
  var errorText = form.querySelector("[data-entry-error-text]");
  var statusBox = form.querySelector("[data-entry-status]");
  var statusText = form.querySelector("[data-entry-status-text]");
  var recent = document.querySelector("[data-entry-recent]");
  var recentEmpty = document.querySelector("[data-entry-recent-empty]");
  var badge = document.querySelector("template[data-entry-badge]");
  var saving = false;
  var RATING = /^[0-4]$/;

  form.classList.add("is-enhanced");

  function focus(field) {
    if (field) {
      field.focus();
      if (typeof field.select === "function" && field.tagName === "INPUT") {
        field.select();
      }
    }
  }

  function showError(message, fields) {
    statusBox.hidden = true;
    errorText.textContent = message;
    errorBox.hidden = false;
    clearFieldErrors();
    Object.keys(fields || {}).forEach(function (name) {
      var field = form.elements[name];
      var holder = field && field.closest ? field.closest(".entry-item, .field") : null;
      if (holder) {
        holder.classList.add("field--invalid");
        holder.setAttribute("data-entry-invalid", "");
      }
    });
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-entry-invalid]"), function (holder) {
      holder.classList.remove("field--invalid");
      holder.removeAttribute("data-entry-invalid");
    });
  }

  function showStatus(message) {
    errorBox.hidden = true;
    clearFieldErrors();
    statusText.textContent = message;
    statusBox.hidden = false;
  }

  function firstEmptyItem() {
    for (var i = 0; i < items.length; i += 1) {
      if (items[i].value === "") {
        return items[i];
      }
    }
    return null;
  }

  function clearForm() {
    serial.value = "";
    items.forEach(function (select) {
      select.value = "";
    });
    extras.forEach(function (field) {
      field.value = "";
    });
  }

  function updateProgress(progress) {
    if (!progress) {
      return;
    }
    ["returned", "handed_out", "rate"].forEach(function (key) {
      var cell = document.querySelector("[data-progress='" + key + "']");
      if (cell) {
        cell.textContent = progress[key];
      }
    });
    (progress.areas || []).forEach(function (area) {
      var row = document.querySelector("[data-area='" + area.id + "']");
      if (!row) {
        return;
      }
      ["returned", "handed_out", "rate"].forEach(function (key) {
        var cell = row.querySelector("[data-area-cell='" + key + "']");
        if (cell) {
          cell.textContent = area[key];
        }
      });
    });
  }

  function addRecent(saved) {
    if (!recent) {
      return;
    }
    var item = document.createElement("li");
    item.setAttribute("data-testid", "recent-form");
    item.setAttribute("data-serial", saved.serial);
    var strong = document.createElement("strong");
    strong.textContent = saved.serial;
    item.appendChild(strong);
    item.appendChild(document.createTextNode(" · " + saved.area));
    if (saved.needs_second_entry && badge) {
      item.appendChild(document.createTextNode(" · "));
      item.appendChild(badge.content.cloneNode(true));
    }
    recent.insertBefore(item, recent.firstChild);
    while (recent.children.length > 10) {
      recent.removeChild(recent.lastChild);
    }
    if (recentEmpty) {
      recentEmpty.hidden = true;
    }
  }

  function save() {
    if (saving) {
      return;
    }
    if (!serial.value.trim()) {
      showError(form.getAttribute("data-missing-serial"), {serial: true});
      focus(serial);
      return;
    }
    var empty = firstEmptyItem();
    if (empty) {
      showError(form.getAttribute("data-missing-rating"), {});
      empty.closest(".entry-item").classList.add("field--invalid");
      empty.closest(".entry-item").setAttribute("data-entry-invalid", "");
      focus(empty);
      return;
    }
    saving = true;
    form.setAttribute("aria-busy", "true");
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-Requested-With": "fetch"}
    }).then(function (response) {
      return response.json().then(function (body) {
        return {ok: response.ok, body: body};
      });
    }).then(function (result) {
      if (result.ok) {
        showStatus(result.body.message);
        addRecent(result.body);
        updateProgress(result.body.progress);
        clearForm();
        focus(serial);
        return;
      }
      var fields = result.body.fields || {};
      showError(result.body.message, fields);
      var names = Object.keys(fields);
      var target = names.length ? form.elements[names[0]] : serial;
      focus(target && target.focus ? target : serial);
    }).catch(function () {
      showError(form.getAttribute("data-offline"), {});
    }).then(function () {
      saving = false;
      form.removeAttribute("aria-busy");
    });
  }

  function isTyping(event) {
    return event.isComposing || event.keyCode === 229;
  }

  serial.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || isTyping(event)) {
      return;
    }
    event.preventDefault();
    if (serial.value.trim()) {
      focus(items[0] || extras[0]);
    }
  });

  items.forEach(function (select, index) {
    select.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (RATING.test(event.key)) {
        event.preventDefault();
        select.value = event.key;
        var holder = select.closest(".entry-item");
        if (holder) {
          holder.classList.remove("field--invalid");
        }
        focus(items[index + 1] || extras[0] || select);
      } else if (event.key === "Backspace") {
        event.preventDefault();
        focus(index > 0 ? items[index - 1] : serial);
      } else if (event.key === "Enter") {
        event.preventDefault();
        save();
      } else if (event.key.length === 1) {
        event.preventDefault(); // no type-ahead jumping to another rating
      }
    });
  });

  extras.forEach(function (field, index) {
    field.addEventListener("keydown", function (event) {
      if (isTyping(event)) {
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        save();
      } else if (event.key === "Backspace" && field.value === "" && field.type !== "date") {
        event.preventDefault();
        focus(index > 0 ? extras[index - 1] : items[items.length - 1]);
      }
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    save();
  });
})();
